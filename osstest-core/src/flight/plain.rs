//! The plain `job runvar value` format of osstest's runvar listings.
//!
//! `mg-show-flight-runvars FLIGHT` prints one runvar a line, three columns
//! padded with spaces to the longest entry of each, sorted by runvar name
//! and then job:
//!
//! ```text
//! build-armhf-pvops  arch            armhf
//! build-armhf        arch            armhf
//! build-armhf-pvops  host_hostflags  share-build-bookworm-armhf,arch-armhf,...
//! ```
//!
//! That is what [`read`] takes and [`write`](fn@write) prints, so `diff -b` of two
//! listings works as it does with osstest's own. Two things osstest keeps
//! in its `jobs` table rather than as runvars travel in the same lines, as
//! the pseudo-runvars `recipe` and `status` (no osstest runvar has either
//! name). Blank lines and lines starting with `#` are ignored.
//!
//! A value is the rest of the line after the second column, without its
//! trailing spaces: values with leading or trailing spaces, or with a
//! newline, do not survive the format (JSON keeps them).

use std::fmt::Write as _;

use super::{Flight, FlightError, Job};

/// The pseudo-runvar carrying a job's recipe.
pub const RECIPE: &str = "recipe";
/// The pseudo-runvar carrying a job's status.
pub const STATUS: &str = "status";

/// Parses a listing; `file` names the input in error messages.
///
/// A line with fewer than two columns is an error, as is a runvar (or
/// recipe, or status) given twice for one job.
pub fn read(text: &str, file: &str) -> Result<Flight, FlightError> {
    let mut flight = Flight::default();
    for (i, raw) in text.lines().enumerate() {
        let err = |message: String| FlightError::Plain {
            file: file.to_owned(),
            line: i + 1,
            message,
        };
        let line = raw.trim_end();
        if line.trim_start().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (job, rest) = split_column(line);
        let (name, value) = split_column(rest);
        if name.is_empty() {
            return Err(err(format!(
                "expected 'job runvar value', got {:?}",
                line.trim()
            )));
        }
        let entry = flight
            .jobs
            .entry(job.to_owned())
            .or_insert_with(Job::default);
        let slot = match name {
            RECIPE => &mut entry.recipe,
            STATUS => &mut entry.status,
            _ => {
                if entry.runvars.contains_key(name) {
                    return Err(err(format!("job {job}: runvar {name} given twice")));
                }
                entry.runvars.insert(name.to_owned(), value.to_owned());
                continue;
            }
        };
        if slot.is_some() {
            return Err(err(format!("job {job}: {name} given twice")));
        }
        *slot = Some(value.to_owned());
    }
    if flight.jobs.is_empty() {
        return Err(FlightError::Plain {
            file: file.to_owned(),
            line: text.lines().count().max(1),
            message: "no jobs in the listing".to_owned(),
        });
    }
    Ok(flight)
}

/// The first whitespace-separated column of `s` and the rest, with the
/// separating spaces removed.
fn split_column(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], s[i..].trim_start()),
        None => (s, ""),
    }
}

/// Prints a flight as `mg-show-flight-runvars` would: sorted by runvar name
/// then job, columns padded to their widest entry. Recipes and statuses
/// appear as the pseudo-runvars `recipe` and `status`.
pub fn write(flight: &Flight) -> String {
    let mut rows: Vec<(&str, &str, &str)> = Vec::new();
    for (job, j) in &flight.jobs {
        if let Some(r) = &j.recipe {
            rows.push((job, RECIPE, r));
        }
        if let Some(s) = &j.status {
            rows.push((job, STATUS, s));
        }
        for (k, v) in &j.runvars {
            rows.push((job, k, v));
        }
    }
    rows.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    let wj = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let wn = rows.iter().map(|r| r.1.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (job, name, value) in rows {
        let line = format!("{job:<wj$} {name:<wn$} {value}");
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTING: &str = "\
# a comment, then a blank line

build-arm64-pvops   arch            arm64
build-arm64         arch            arm64
build-arm64-pvops   recipe          build-kern
build-arm64         revision_xen
build-arm64-pvops   status          pass
";

    #[test]
    fn reads_columns_recipe_status_and_empty_values() {
        let f = read(LISTING, "l").unwrap();
        let k = f.job("build-arm64-pvops").unwrap();
        assert_eq!(k.recipe.as_deref(), Some("build-kern"));
        assert_eq!(k.status.as_deref(), Some("pass"));
        assert_eq!(k.arch(), Some("arm64"));
        assert_eq!(f.job("build-arm64").unwrap().get("revision_xen"), Some(""));
    }

    #[test]
    fn write_then_read_is_identity_and_sorted_by_name() {
        let f = read(LISTING, "l").unwrap();
        let text = write(&f);
        assert_eq!(read(&text, "w").unwrap(), f);
        let names: Vec<&str> = text
            .lines()
            .map(|l| l.split_whitespace().nth(1).unwrap())
            .collect();
        assert_eq!(names, ["arch", "arch", "recipe", "revision_xen", "status"]);
        assert!(
            text.starts_with("build-arm64       arch         arm64\n"),
            "{text}"
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = read("build-amd64 arch amd64\nbuild-amd64\n", "dump.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "dump.txt:2: expected 'job runvar value', got \"build-amd64\""
        );
        let e = read("j arch amd64\nj arch i386\n", "d").unwrap_err();
        assert_eq!(e.to_string(), "d:2: job j: runvar arch given twice");
        let e = read("j recipe build\nj recipe build-kern\n", "d").unwrap_err();
        assert_eq!(e.to_string(), "d:2: job j: recipe given twice");
        let e = read("# nothing\n", "empty.txt").unwrap_err();
        assert_eq!(e.to_string(), "empty.txt:1: no jobs in the listing");
    }
}
