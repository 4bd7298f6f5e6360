#[derive(Clone, Copy, ykc::CodeEnum)]
pub enum Result {
    #[ykc(code = 0, name = "ok", zh = "成功")]
    Ok,
    #[ykc(code = 0, name = "fail", zh = "失败")]
    Fail,
}

fn main() {}
