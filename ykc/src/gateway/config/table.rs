//! [`serve_options!`], which turns the option table into every place that
//! names an option, and how flag values of each option type are read.

use super::{ConfirmAfter, CrcOrder, MessagingServerType, Secret, Span};
use clap::builder::{BoolishValueParser, ValueParser};
use std::path::PathBuf;

/// One command-line flag of the Go `ykc-proxy-server` and the config key it sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoFlag {
    /// The Go flag name, without dashes (`tcpPort`).
    pub go: &'static str,
    /// The config key (`tcp_port`), from which the long flag and `YKC_*` variable follow.
    pub key: &'static str,
    /// A Go `flag.Bool`: `-name` alone means true, a value needs `=`.
    pub boolean: bool,
}

/// The kebab-case long flag of a config key, without dashes (`tcp-port`).
pub fn flag_name(key: &str) -> String {
    key.replace('_', "-")
}

/// The environment variable of a config key (`YKC_TCP_PORT`).
pub fn env_name(key: &str) -> String {
    format!("YKC_{}", key.to_ascii_uppercase())
}

/// A boolean word as Go's `strconv.ParseBool` takes it (`1 t true 0 f false`,
/// any case), plus `y yes on n no off`: what clap's [`BoolishValueParser`] takes.
pub(crate) fn bool_word(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "1" | "t" | "true" | "y" | "yes" | "on" => Some(true),
        "0" | "f" | "false" | "n" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// How a flag or `YKC_*` variable of an option's type is read.
pub trait FlagValue {
    /// A Go `flag.Bool`: the flag alone means true (`--auto-verification`).
    const BOOLEAN: bool = false;
    /// clap's parser of one value.
    fn parser() -> ValueParser;
}

impl FlagValue for bool {
    const BOOLEAN: bool = true;
    fn parser() -> ValueParser {
        BoolishValueParser::new().into()
    }
}

/// [`FlagValue`] of option types whose values clap parses as usual.
macro_rules! flag_values {
    ($($ty:ty => $one:ty),*) => {$(
        impl FlagValue for $ty {
            fn parser() -> ValueParser { clap::value_parser!($one).into() }
        }
    )*};
}
flag_values!(String => String, u16 => u16, u32 => u32, u64 => u64, usize => usize,
    Vec<String> => String, Option<String> => String, Option<Secret> => Secret,
    Option<PathBuf> => PathBuf, MessagingServerType => MessagingServerType, CrcOrder => CrcOrder,
    Option<ConfirmAfter> => ConfirmAfter);

impl FlagValue for Span {
    fn parser() -> ValueParser {
        ValueParser::new(|s: &str| s.parse::<Span>())
    }
}

impl FlagValue for Option<Span> {
    fn parser() -> ValueParser {
        Span::parser()
    }
}

/// Generates `ServeConfig` (fields, YAML keys, `Default`, range checks, durations), `ServeArgs`
/// (flag, `YKC_*` variable, help; all `Option`: unset leaves the file's value) and `GO_FLAGS` from
/// rows under help headings: one doc line, optional `#[serde(..)]`/`#[arg(..)]`, `name: Type =
/// default, "VALUE"`, and optionally `, go "goName"`, `, range a..=b`, `, duration f = from_secs`.
macro_rules! serve_options {
    ($($heading:literal {$(
        #[doc = $doc:literal] $(#[serde($($serde:tt)*)])? $(#[arg($($arg:tt)*)])?
        $name:ident: $ty:ty = $default:expr, $value:literal $(, go $go:literal)?
            $(, range $range:expr)? $(, duration $duration:ident = $unit:ident)?;
    )*})*) => {
        /// Every option and limit of `ykc serve`. In YAML every key is optional
        /// and unknown keys are errors. `Debug` never prints the password.
        #[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
        #[serde(deny_unknown_fields, default)]
        pub struct ServeConfig {$($(
            #[doc = concat!($doc $(, " (Go -", $go, ")")?)]
            $(#[serde($($serde)*)])?
            pub $name: $ty,
        )*)*}

        impl Default for ServeConfig {
            fn default() -> Self {
                ServeConfig { $($($name: $default,)*)* }
            }
        }

        impl ServeConfig {
            /// Every key, in table order (the order of `ykc.example.yaml`).
            pub const KEYS: &'static [&'static str] = &[$($(stringify!($name),)*)*];

            fn check_ranges(&self) -> Result<(), ConfigError> {
                $($($(
                    let (v, (min, max)) = (self.$name, $range.into_inner());
                    ensure!((min..=max).contains(&v), stringify!($name) =>
                        "{v} is outside {min}..={max}");
                )?)*)*
                Ok(())
            }
            $($($(
                #[doc = concat!("`", stringify!($name), "` as a [`Duration`].")]
                pub fn $duration(&self) -> Duration {
                    Duration::$unit(self.$name)
                }
            )?)*)*
        }

        /// Every flag `ykc-proxy-server` defines (its `parseOptions`), in its order.
        pub const GO_FLAGS: &[GoFlag] = &[$($($(
            GoFlag { go: $go, key: stringify!($name), boolean: <$ty as FlagValue>::BOOLEAN },
        )?)*)*];

        /// Flags of `ykc serve`, each also a `YKC_*` variable and a `--config` YAML key; the Go
        /// proxy's `-camelCase` spellings go through [`super::args::normalize_go_args`] first.
        #[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
        #[command(args_override_self = true)]
        pub struct ServeArgs {
            /// YAML config file; see ykc.example.yaml for every key.
            #[arg(long, env = "YKC_CONFIG", value_name = "FILE")]
            pub config: Option<PathBuf>,
            $($(
                #[doc = concat!($doc $(, " (Go -", $go, ")")?)]
                #[arg(
                    help = concat!($doc $(, " (Go -", $go, ")")?).trim_start(),
                    long, env = env_name(stringify!($name)), value_name = $value,
                    help_heading = $heading, ignore_case = true,
                    value_parser = <$ty as FlagValue>::parser(),
                    num_args = if <$ty as FlagValue>::BOOLEAN { 0..=1 } else { 1..=1 },
                    default_missing_value = <$ty as FlagValue>::BOOLEAN.then_some("true"),
                    $($($arg)*)?
                )]
                pub $name: Option<$ty>,
            )*)*
        }

        impl ServeArgs {
            /// Overwrites the options of `cfg` given on the command line or in the environment.
            pub fn apply_to(&self, cfg: &mut ServeConfig) {
                $($(if let Some(v) = &self.$name {
                    cfg.$name.clone_from(v);
                })*)*
            }
        }
    };
}
pub(super) use serve_options;
