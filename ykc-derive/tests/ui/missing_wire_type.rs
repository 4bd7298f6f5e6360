#[derive(ykc::Frame)]
#[ykc(code = 0xF1, name = "x", section = "v", direction = "up")]
pub struct X {
    #[ykc(len = 7)]
    pub pile_code: ykc::Bcd<7>,
}

fn main() {}
