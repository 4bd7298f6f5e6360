//! The REST API's options: bearer tokens with a scope, protected mode and TLS files.

use super::check::{ensure, invalid};
use super::{ConfigError, FlagValue, Secret, ServeConfig};
use clap::builder::ValueParser;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;

/// The name of the token `--api-token` gives.
pub const DEFAULT_TOKEN_NAME: &str = "default";

/// Fewer characters than this make a token an error: a token is a password nobody types.
pub const MIN_TOKEN_LEN: usize = 16;

/// What a REST token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ApiScope {
    /// GET routes only: piles, frames, metrics, the OpenAPI document.
    Read,
    /// Everything, commands to piles included.
    Command,
}

impl ApiScope {
    /// `read` / `command`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiScope::Read => "read",
            ApiScope::Command => "command",
        }
    }
}

/// A named bearer token of the REST API (YAML `api.tokens: [{name, token, scope}]`, or
/// `--api-tokens NAME:SCOPE:TOKEN`). `Debug` never prints the token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiToken {
    /// Who uses it; logged with every command it authorizes.
    pub name: String,
    /// The secret sent as `Authorization: Bearer <token>`.
    pub token: Secret,
    /// What it may do.
    pub scope: ApiScope,
}

impl std::str::FromStr for ApiToken {
    type Err = String;
    /// `NAME:SCOPE:TOKEN` (the token may itself contain `:`).
    fn from_str(s: &str) -> Result<ApiToken, String> {
        let mut parts = s.splitn(3, ':');
        let (Some(name), Some(scope), Some(token)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err("expected NAME:SCOPE:TOKEN, scope read or command".into());
        };
        let scope = match scope.trim() {
            "read" => ApiScope::Read,
            "command" => ApiScope::Command,
            other => return Err(format!("scope `{other}` is neither read nor command")),
        };
        Ok(ApiToken {
            name: name.trim().to_owned(),
            token: token.trim().to_owned().into(),
            scope,
        })
    }
}

impl fmt::Display for ApiToken {
    /// `name (scope)`: never the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.scope.as_str())
    }
}

impl FlagValue for Vec<ApiToken> {
    fn parser() -> ValueParser {
        ValueParser::new(|s: &str| s.parse::<ApiToken>())
    }
}

impl ServeConfig {
    /// Every REST token: `api_token` (named `default`, scope command) and `api_tokens`.
    pub fn rest_tokens(&self) -> Vec<ApiToken> {
        let default = self.api_token.as_ref().map(|t| ApiToken {
            name: DEFAULT_TOKEN_NAME.to_owned(),
            token: t.clone(),
            scope: ApiScope::Command,
        });
        default.into_iter().chain(self.api_tokens.clone()).collect()
    }

    /// The TLS certificate and key files of the REST port, when both are given.
    pub fn rest_tls(&self) -> Option<(&std::path::Path, &std::path::Path)> {
        Some((self.api_tls_cert.as_deref()?, self.api_tls_key.as_deref()?))
    }

    /// Checks the REST options: tokens long enough and uniquely named, protected mode not
    /// turned off beside tokens, TLS files both given and readable.
    pub(super) fn validate_api(&self) -> Result<(), ConfigError> {
        let mut names = BTreeSet::new();
        for (i, t) in self.rest_tokens().into_iter().enumerate() {
            let opt = if i == 0 && self.api_token.is_some() {
                "api_token"
            } else {
                "api_tokens"
            };
            ensure!(!t.name.is_empty(), opt => "a token has an empty name");
            ensure!(names.insert(t.name.clone()), opt => "two tokens are named `{}` \
                (`{DEFAULT_TOKEN_NAME}` is api_token's)", t.name);
            let len = t.token.expose().chars().count();
            ensure!(len >= MIN_TOKEN_LEN, opt => "token `{}` has {len} characters, at least \
                {MIN_TOKEN_LEN} are needed (e.g. `openssl rand -hex 32`)", t.name);
            let printable = t.token.expose().chars().all(|c| c.is_ascii_graphic());
            ensure!(printable, opt => "token `{}` must be printable ASCII without blanks \
                (it travels in an HTTP header)", t.name);
        }
        ensure!(!self.api_insecure_open || names.is_empty(), "api_insecure_open" => "has no \
            effect with tokens configured (every caller needs one); remove one of them");
        let (cert, key) = (&self.api_tls_cert, &self.api_tls_key);
        ensure!(cert.is_some() == key.is_some(), if cert.is_some() { "api_tls_key" }
            else { "api_tls_cert" } => "TLS needs both api_tls_cert and api_tls_key (PEM files)");
        for (opt, path) in [("api_tls_cert", cert), ("api_tls_key", key)] {
            if let Some(p) = path {
                std::fs::metadata(p)
                    .map_err(|e| invalid(opt, format!("cannot read {}: {e}", p.display())))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::config::tests::TempFile;

    const LONG: &str = "0123456789abcdef0123";

    fn check(mut c: ServeConfig) -> Result<ServeConfig, ConfigError> {
        c.normalize();
        c.validate().map(|()| c)
    }

    #[test]
    fn nested_yaml_tokens_and_tls_paths_relative_to_the_file() {
        let cert = TempFile::new("cert.pem", "x");
        let dir = cert.path.parent().unwrap();
        std::fs::write(dir.join("key.pem"), "x").unwrap();
        let yaml = format!(
            "api:\n  token: {LONG}\n  tokens:\n    - {{name: grafana, token: {LONG}x, scope: read}}\n  \
             tls_cert: cert.pem\n  tls_key: key.pem\n"
        );
        std::fs::write(dir.join("ykc.yaml"), yaml).unwrap();
        let c = check(ServeConfig::from_file(&dir.join("ykc.yaml")).unwrap()).unwrap();
        let names: Vec<String> = c.rest_tokens().iter().map(ToString::to_string).collect();
        assert_eq!(names, ["default (command)", "grafana (read)"]);
        assert_eq!(
            c.rest_tls(),
            Some((cert.path.as_path(), dir.join("key.pem").as_path()))
        );
        assert!(!format!("{c:?}").contains(LONG), "Debug prints a token");
    }

    #[test]
    fn flag_form_of_a_token() {
        let t: ApiToken = format!("ci:read:{LONG}:with:colons").parse().unwrap();
        assert_eq!((t.name.as_str(), t.scope), ("ci", ApiScope::Read));
        assert_eq!(t.token.expose(), format!("{LONG}:with:colons"));
        assert!("ci:write:x".parse::<ApiToken>().is_err());
        assert!("ci".parse::<ApiToken>().is_err());
    }

    #[test]
    fn bad_rest_options_name_the_option() {
        let token = |t: &str| Some(Secret::from(t.to_owned()));
        for (c, option) in [
            (
                ServeConfig {
                    api_token: token("short"),
                    ..Default::default()
                },
                "api_token",
            ),
            (
                ServeConfig {
                    api_token: token(LONG),
                    api_insecure_open: true,
                    ..Default::default()
                },
                "api_insecure_open",
            ),
            (
                ServeConfig {
                    api_tokens: vec![format!("default:read:{LONG}").parse().unwrap()],
                    api_token: token(LONG),
                    ..Default::default()
                },
                "api_tokens",
            ),
            (
                ServeConfig {
                    api_tls_cert: Some("/nonexistent.pem".into()),
                    ..Default::default()
                },
                "api_tls_key",
            ),
            (
                ServeConfig {
                    api_tls_cert: Some("/nonexistent.pem".into()),
                    api_tls_key: Some("/nonexistent.key".into()),
                    ..Default::default()
                },
                "api_tls_cert",
            ),
        ] {
            assert_eq!(check(c).unwrap_err().option(), Some(option));
        }
        // An empty YKC_API_TOKEN is no token (protected mode), not a token of length 0.
        let c = check(ServeConfig {
            api_token: token(""),
            ..Default::default()
        })
        .unwrap();
        assert!(c.rest_tokens().is_empty());
    }
}
