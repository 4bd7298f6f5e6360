//! Rust names from spec names.

/// `login_request` → `LoginRequest`; a leading digit gets a `V` prefix.
pub fn camel(snake: &str) -> String {
    let mut out = String::new();
    for part in snake.split('_').filter(|p| !p.is_empty()) {
        let mut cs = part.chars();
        if let Some(c) = cs.next() {
            out.extend(c.to_uppercase());
            out.push_str(cs.as_str());
        }
    }
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// `login_request` → `LOGIN_REQUEST`.
pub fn upper(snake: &str) -> String {
    snake.to_ascii_uppercase()
}

/// `LoginRequest` → `login_request`.
pub fn snake_of(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn camel_cases() {
        assert_eq!(super::camel("login_request"), "LoginRequest");
        assert_eq!(super::camel("reserved_0x46"), "Reserved0x46");
        assert_eq!(super::camel("1st"), "V1st");
    }
}
