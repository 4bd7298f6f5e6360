#[derive(ykc::Frame)]
#[ykc(code = 0xF1, name = "x", section = "v", direction = "up", direction = "down")]
pub struct X {
    #[ykc(uint, len = 1, len = 2)]
    pub a: u8,
    #[ykc(uint, len = 2, repeat = 2, count = "a")]
    pub b: Vec<u16>,
}

#[derive(Clone, Copy, ykc::CodeEnum)]
pub enum E {
    #[ykc(code = 1, code = 2, name = "one", zh = "一")]
    One,
    Unknown(u64),
}

fn main() {}
