//! `tripline.toml`: what a rule library builds. Read with the `toml` crate; every problem
//! is a coded diagnostic pointing into the file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::ProjectError;

/// The project file's name, at the library's root.
pub const FILE: &str = "tripline.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    rules: Vec<String>,
    out: Spanned<String>,
    catalog: Option<String>,
    #[serde(default = "yes")]
    artifacts: bool,
    #[serde(default)]
    targets: Vec<RawTarget>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    name: Spanned<String>,
    flavor: Option<Spanned<String>>,
    index: Option<String>,
    table_prefix: Option<String>,
    #[serde(default)]
    skip: Vec<String>,
}

/// One target a project builds.
#[derive(Debug, Clone)]
pub struct TargetConfig {
    /// The target's name (`kql`).
    pub name: String,
    /// Its flavour, if it has flavours (`sentinel`).
    pub flavor: Option<String>,
    /// SPL: the index.
    pub index: Option<String>,
    /// SQL: the table prefix.
    pub table_prefix: Option<String>,
    /// Diagnostic codes that mean "not deployed to this target" rather than an error (a
    /// source the platform does not have: `tripline::mapping::unavailable_source`).
    pub skip: Vec<String>,
    /// The directory under `out` its files go to (`kql-sentinel`).
    pub dir: String,
}

/// A project: paths relative to its root.
#[derive(Debug, Clone)]
pub struct Project {
    /// The directory holding `tripline.toml`.
    pub root: PathBuf,
    /// Rule files and directories.
    pub rules: Vec<PathBuf>,
    /// The output directory (owned by the build: files in it that the build did not write
    /// are removed).
    pub out: PathBuf,
    /// A user catalog.
    pub catalog: Option<PathBuf>,
    /// Write deployable artifacts (else bare queries).
    pub artifacts: bool,
    /// The targets, in order.
    pub targets: Vec<TargetConfig>,
}

impl Project {
    /// Read `tripline.toml` from `root`.
    pub fn load(root: &Path) -> Result<Project, ProjectError> {
        let path = root.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| ProjectError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Project::parse(root, &text)
    }

    /// Parse the text of `tripline.toml` of the project at `root`.
    pub fn parse(root: &Path, text: &str) -> Result<Project, ProjectError> {
        let bad = |message: String, span: std::ops::Range<usize>, help: Option<String>| {
            ProjectError::BadConfig {
                message,
                span: (span.start, span.end.saturating_sub(span.start)).into(),
                help,
                src: miette::NamedSource::new(FILE, text.to_string()),
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            bad(
                e.message().to_string(),
                e.span().unwrap_or(0..0),
                Some("see README.md, \"Publishing\", for the keys".into()),
            )
        })?;
        let out_rel = Path::new(raw.out.get_ref());
        if out_rel.as_os_str().is_empty()
            || out_rel.is_absolute()
            || out_rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(bad(
                format!("`out = {:?}` must name a directory inside the project", raw.out.get_ref()),
                raw.out.span(),
                Some("the build owns `out`: files in it that it did not write are removed; use a directory of its own such as \"build\"".into()),
            ));
        }
        if raw.rules.iter().any(|r| Path::new(r).starts_with(out_rel)) {
            return Err(bad(
                "the rule paths are inside `out`".into(),
                raw.out.span(),
                Some("`out` is removed and rewritten by the build; keep rules elsewhere".into()),
            ));
        }
        let mut targets: Vec<TargetConfig> = Vec::new();
        for t in raw.targets {
            let flavor = t.flavor.as_ref().map(|f| f.get_ref().as_str());
            if let Err(e) = crate::driver::Options::new(t.name.get_ref(), flavor) {
                let span = match (&e, &t.flavor) {
                    (crate::driver::OptionsError::UnknownFlavor(..), Some(f)) => f.span(),
                    _ => t.name.span(),
                };
                return Err(bad(e.to_string(), span, None));
            }
            let dir = match flavor {
                Some(f) => format!("{}-{f}", t.name.get_ref()),
                None => t.name.get_ref().clone(),
            };
            if targets.iter().any(|o| o.dir == dir) {
                return Err(bad(
                    format!("target `{dir}` is listed twice"),
                    t.name.span(),
                    None,
                ));
            }
            targets.push(TargetConfig {
                name: t.name.into_inner(),
                flavor: t.flavor.map(Spanned::into_inner),
                index: t.index,
                table_prefix: t.table_prefix,
                skip: t.skip,
                dir,
            });
        }
        if targets.is_empty() {
            return Err(bad(
                "no targets: add a [[targets]] table".into(),
                0..0,
                Some("e.g.\n[[targets]]\nname = \"kql\"\nflavor = \"sentinel\"".into()),
            ));
        }
        Ok(Project {
            root: root.to_path_buf(),
            rules: raw.rules.iter().map(PathBuf::from).collect(),
            out: out_rel.to_path_buf(),
            catalog: raw.catalog.map(PathBuf::from),
            artifacts: raw.artifacts,
            targets,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "rules = [\"rules\"]\nout = \"build\"\n\n[[targets]]\nname = \"kql\"\nflavor = \"sentinel\"\n\n[[targets]]\nname = \"spl\"\nindex = \"main\"\n";

    #[test]
    fn reads_a_project() {
        let p = Project::parse(Path::new("/lib"), GOOD).unwrap();
        let dirs: Vec<&str> = p.targets.iter().map(|t| t.dir.as_str()).collect();
        assert_eq!(dirs, ["kql-sentinel", "spl"]);
        assert!(p.artifacts);
        assert_eq!(p.out, Path::new("build"));
    }

    #[test]
    fn every_mistake_is_located() {
        use miette::Diagnostic;
        for (text, needle) in [
            (GOOD.replace("\"spl\"", "\"spll\""), "\"spll\""),
            (GOOD.replace("\"sentinel\"", "\"sentinal\""), "\"sentinal\""),
            (GOOD.replace("out = \"build\"", "out = \"..\""), "\"..\""),
            (
                GOOD.replace("out = \"build\"", "out = \"rules\""),
                "\"rules\"",
            ),
            (GOOD.replace("index", "indx"), "indx"),
            (
                GOOD.replace(
                    "[[targets]]\nname = \"spl\"",
                    "[[targets]]\nname = \"kql\"\nflavor = \"sentinel\"",
                ),
                "\"kql\"\nflavor = \"sentinel\"\n",
            ),
        ] {
            let e = Project::parse(Path::new("/lib"), &text).unwrap_err();
            let at = e.labels().unwrap().next().unwrap().offset();
            let want = text.rfind(needle).unwrap();
            assert!(
                at <= want + needle.len() && at + 8 >= want,
                "{text}: {e} at {at}, want {want}"
            );
            assert!(e
                .code()
                .unwrap()
                .to_string()
                .starts_with("tripline::project::"));
        }
    }
}
