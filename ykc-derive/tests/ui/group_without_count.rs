#[derive(ykc::Record)]
pub struct Item {
    #[ykc(uint, len = 1)]
    pub v: u8,
}

#[derive(ykc::Frame)]
#[ykc(code = 0xF1, name = "x", section = "v", direction = "sideways")]
pub struct X {
    #[ykc(group)]
    pub items: Vec<Item>,
    #[ykc(uint, len = 1, colour = "red")]
    pub after: u8,
}

fn main() {}
