//! # ykc-gen — everything generated from the YKC spec
//!
//! Reads `spec/` (serde_yaml), validates it, and renders:
//! - Rust definitions ([`rust::render`]): annotated structs that `ykc-derive` expands,
//!   included by the `ykc` crate from `OUT_DIR` (see [`build`]);
//! - Markdown docs ([`docs::render`]): `docs/frames/<code>.md` and an index;
//! - a test corpus ([`corpus::render`]): every sample frame, repaired, with a correct CRC.
//!
//! Docs and corpus are checked in; [`stale`] tells which files differ from the spec.

pub mod corpus;
pub mod docs;
mod names;
pub mod rust;
pub mod spec;
pub mod validate;

pub use spec::Spec;
use std::fmt;
use std::path::{Path, PathBuf};

/// A problem in the spec, naming the file and field.
#[derive(Debug, Clone, thiserror::Error)]
pub struct GenError {
    /// The spec file.
    pub file: PathBuf,
    /// The field (or key) concerned; empty for whole-file errors.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl GenError {
    /// A new error.
    pub fn new(file: impl AsRef<Path>, field: &str, message: String) -> Self {
        GenError {
            file: file.as_ref().to_path_buf(),
            field: field.to_string(),
            message,
        }
    }
}

impl fmt::Display for GenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(
                f,
                "{}: field `{}`: {}",
                self.file.display(),
                self.field,
                self.message
            )
        }
    }
}

/// Several spec problems at once.
#[derive(Debug, Clone, thiserror::Error)]
#[error("invalid spec:\n{}", .0.iter().map(|e| format!("  {e}")).collect::<Vec<_>>().join("\n"))]
pub struct SpecErrors(pub Vec<GenError>);

/// Loads and validates the spec in `dir`.
pub fn load(dir: &Path) -> Result<Spec, SpecErrors> {
    let spec = Spec::load(dir).map_err(|e| SpecErrors(vec![e]))?;
    let errs = validate::validate(&spec);
    if errs.is_empty() {
        Ok(spec)
    } else {
        Err(SpecErrors(errs))
    }
}

/// Why [`build`] failed.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The spec is invalid (every problem, with file and field).
    #[error(transparent)]
    Spec(#[from] SpecErrors),
    /// `OUT_DIR` is not set: [`build`] runs in a build script.
    #[error("OUT_DIR is not set: ykc_gen::build is meant to run in a build script")]
    NoOutDir,
    /// The generated file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// For build scripts: generates `OUT_DIR/frames.rs` from `spec_dir`.
///
/// A bad spec is an error listing every problem (file and field); the build script prints it
/// and fails:
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     match ykc_gen::build(std::path::Path::new("spec")) {
///         Ok(()) => std::process::ExitCode::SUCCESS,
///         Err(e) => {
///             eprintln!("error: {e}");
///             std::process::ExitCode::FAILURE
///         }
///     }
/// }
/// ```
pub fn build(spec_dir: &Path) -> Result<(), BuildError> {
    println!("cargo:rerun-if-changed={}", spec_dir.display());
    for f in Spec::files(spec_dir).map_err(|e| SpecErrors(vec![e]))? {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let out = std::env::var_os("OUT_DIR").ok_or(BuildError::NoOutDir)?;
    let spec = load(spec_dir)?;
    let path = PathBuf::from(out).join("frames.rs");
    // Written beside and renamed over, never rewritten in place: a target directory seeded with
    // hard links would otherwise change the file of every directory linked to it.
    let tmp = path.with_extension("rs.tmp");
    std::fs::write(&tmp, rust::render(&spec))
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| BuildError::Write { path, source })
}

/// The checked-in generated files: `(path under root, content)`.
pub fn outputs(spec: &Spec, docs_dir: &Path, corpus_dir: &Path) -> Vec<(PathBuf, String)> {
    let docs = docs::render(spec)
        .into_iter()
        .map(|(p, c)| (docs_dir.join(p), c));
    let corpus = corpus::render(spec)
        .into_iter()
        .map(|(p, c)| (corpus_dir.join(p), c));
    docs.chain(corpus).collect()
}

/// Files whose checked-in content differs from what the spec generates (missing ones included).
pub fn stale(files: &[(PathBuf, String)]) -> Vec<PathBuf> {
    files
        .iter()
        .filter(|(p, c)| std::fs::read_to_string(p).ok().as_deref() != Some(c.as_str()))
        .map(|(p, _)| p.clone())
        .collect()
}

/// Writes the generated files.
pub fn write(files: &[(PathBuf, String)]) -> std::io::Result<()> {
    for (p, c) in files {
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d)?;
        }
        std::fs::write(p, c)?;
    }
    Ok(())
}
