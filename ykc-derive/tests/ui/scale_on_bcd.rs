#[derive(ykc::Frame)]
#[ykc(code = 0xF1, name = "x", section = "v", direction = "up")]
pub struct X {
    #[ykc(bcd, len = 2, decimals = 2)]
    pub price: ykc::Bcd<2>,
    #[ykc(cp56time, len = 6)]
    pub at: ykc::Cp56Time,
    #[ykc(uint, len = 1, alt_len = 0)]
    pub v: u8,
}

fn main() {}
