//! `podsec check`: the command-line front end.
//!
//! Findings go to stdout in the chosen format; the summary, the progress bar
//! and read errors go to stderr. Files are written only with `--fix`.

mod fix;
mod human;
mod inputs;
mod json;
mod namespaces;
mod ordered;
mod report;
mod sarif;
mod settings;

use std::io::{self, IsTerminal, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;

use anstream::{AutoStream, ColorChoice};
use clap::builder::TypedValueParser as _;

use crate::analysis;
use crate::config::{Config, KubeVersion, Profile, RuleLevel, Settings};
pub use human::{summary, Snippet};
pub use inputs::{collect, Input, InputError, Source};
pub use json::JsonFinding;
pub use report::{FileReport, Located, Position, Totals};
pub use sarif::SarifLog;

/// No finding is an error.
pub const EXIT_OK: u8 = 0;
/// At least one finding is an error.
pub const EXIT_FINDINGS: u8 = 1;
/// Usage or I/O error.
pub const EXIT_USAGE: u8 = 2;

/// Below this many files a progress bar would only flicker.
const PROGRESS_MIN_FILES: usize = 20;

const AFTER_HELP: &str = "\
Exit codes:
  0  no finding is an error (warnings, information and hints do not fail)
  1  at least one finding is an error
  2  usage error, or a path could not be read (the other files are still checked)

Findings go to stdout. Read errors, the progress bar and (human format) the
summary line go to stderr. Colour and the progress bar appear only on a
terminal; NO_COLOR turns colour off, CLICOLOR_FORCE on.

Directories are searched for *.yaml and *.yml, skipping hidden and
.gitignore'd files; files named explicitly are always checked. Files are
reported in sorted order. `-` reads standard input, reported as `-` (see
--stdin-filename). Without --fix, `podsec check` never modifies a file.

--fix applies the safe fixes in place (atomically, permissions kept; files
with YAML syntax errors are left alone), says on stderr what it changed,
then reports what remains. --diff prints the same fixes as a unified diff
and writes nothing; it exits 1 when there is something to fix.";

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// `path:line:col: severity[code] message` with the source line and a caret.
    #[default]
    Human,
    /// One JSON array of findings; lines and columns 1-based, columns in characters.
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// Colour when the stream is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    fn choice(self) -> ColorChoice {
        match self {
            ColorWhen::Auto => ColorChoice::Auto,
            ColorWhen::Always => ColorChoice::Always,
            ColorWhen::Never => ColorChoice::Never,
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct CheckArgs {
    /// Files, directories (searched for *.yaml and *.yml), or - for stdin.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// The Kubernetes version to judge against (`1.N` or `v1.N`; default: the newest, 1.37).
    #[arg(long, value_name = "1.N")]
    pub kubernetes_version: Option<KubeVersion>,

    /// The Pod Security Standards profile to check against (default: restricted).
    #[arg(
        long,
        value_name = "PROFILE",
        value_parser = clap::builder::PossibleValuesParser::new(["restricted", "baseline", "privileged"])
            .map(|s| s.parse::<Profile>().expect("listed profiles parse")),
    )]
    pub profile: Option<Profile>,

    /// A settings file to use for every input, instead of the nearest `.podsec.yaml`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Set a rule's level: off, hint, information, warning or error (repeatable).
    #[arg(long = "rule", value_name = "CODE=LEVEL", value_parser = parse_rule_flag)]
    pub rules: Vec<(String, RuleLevel)>,

    /// Turn the best-practice rules off as a group (a `--rule` still wins).
    #[arg(long)]
    pub no_best_practices: bool,

    /// Ignore the Pod Security labels of Namespaces among the paths: judge
    /// every workload by the configured profile.
    #[arg(long)]
    pub no_namespace_labels: bool,

    /// Print only the findings: no summary line, no progress bar.
    #[arg(long, short)]
    pub quiet: bool,

    /// When to use colour.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorWhen::Auto)]
    pub color: ColorWhen,

    /// The name to report findings in standard input under (default `-`).
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<String>,

    /// Apply the safe fixes to the files in place, then report what remains.
    #[arg(long)]
    pub fix: bool,

    /// Print the safe fixes as a unified diff; write nothing.
    #[arg(long)]
    pub diff: bool,
}

/// What checking one input gave.
enum Outcome {
    /// The findings, and with `--fix` or `--diff` what fixing did.
    Checked(FileReport, Option<fix::Change>),
    Failed(InputError),
}

/// `CODE=LEVEL`, with the code checked against the rule catalog.
fn parse_rule_flag(value: &str) -> Result<(String, RuleLevel), String> {
    let (code, level) = value
        .split_once('=')
        .ok_or_else(|| format!("expected CODE=LEVEL, e.g. read-only-root-filesystem=off, not `{value}`"))?;
    if analysis::rules::by_code(code).is_none() {
        let hint = analysis::nearest_code(code).map(|c| format!("; did you mean `{c}`?")).unwrap_or_default();
        return Err(format!("unknown rule `{code}`{hint}"));
    }
    Ok((code.to_string(), level.parse()?))
}

impl CheckArgs {
    /// The settings the flags make; they override any settings file.
    fn flag_settings(&self) -> Settings {
        Settings {
            profile: self.profile,
            kubernetes_version: self.kubernetes_version,
            best_practices: self.no_best_practices.then_some(false),
            rules: self.rules.iter().cloned().collect(),
            namespace_labels: self.no_namespace_labels.then_some(false),
        }
    }
}

pub fn check(mut args: CheckArgs) -> ExitCode {
    if args.diff {
        // A diff replaces the findings, whatever their format.
        args.format = Format::Human;
    }
    let stdin_name = args.stdin_filename.clone().unwrap_or_else(|| "-".to_owned());
    let choice = args.color.choice();
    let mut stdout = AutoStream::new(io::stdout(), choice);
    let mut stderr = AutoStream::new(io::stderr(), choice);

    let (inputs, mut walk_errors) = inputs::collect(&args.paths, &stdin_name);
    let mut resolved = settings::resolve(&inputs, args.config.as_deref(), &args.flag_settings());
    // Standard input alone (`kustomize build | podsec check -`) is read
    // before it is checked, so its Namespaces apply to its workloads. Beside
    // other inputs it is read when its turn comes, so that their findings
    // stream while it is still open.
    let stdin_alone = matches!(inputs.as_slice(), [only] if only.source == Source::Stdin);
    let stdin_text = stdin_alone.then(|| inputs::read(&inputs[0]));
    let mut namespace_scan =
        namespaces::NamespaceScan::new(&inputs, stdin_text.as_ref().and_then(|t| t.as_deref().ok()));
    for (input, config) in inputs.iter().zip(&mut resolved.configs) {
        *config = namespace_scan.config_for(input, config);
    }
    walk_errors.extend(resolved.errors.iter().cloned());
    let mut totals = Totals::default();
    for error in &walk_errors {
        report_error(&mut stderr, error);
    }
    totals.unreadable += walk_errors.len();

    let progress = (!args.quiet && inputs.len() >= PROGRESS_MIN_FILES && io::stderr().is_terminal())
        .then(|| progress_bar(inputs.len() as u64));
    let mut json = json::JsonWriter::default();
    let mut sarif = SarifLog::default();
    for error in &walk_errors {
        sarif.unreadable(&error.display, &error.to_string());
    }
    let mut write_failed: Option<io::Error> = None;
    let mut write = |bytes: &[u8], out: &mut AutoStream<io::Stdout>| {
        if write_failed.is_some() {
            return false;
        }
        if let Err(error) = out.write_all(bytes).and_then(|()| out.flush()) {
            write_failed = Some(error);
            return false;
        }
        true
    };

    if args.format == Format::Json {
        let mut buffer = Vec::new();
        json.start(&mut buffer).expect("writing to memory");
        write(&buffer, &mut stdout);
    }
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    tracing::debug!(files = inputs.len(), jobs, "checking");
    // Problems in settings files come first, as findings on those files.
    let settings_outcomes: Vec<Outcome> =
        resolved.problem_reports.drain(..).map(|r| Outcome::Checked(r, None)).collect();
    let mode = fix::Mode::from_flags(args.fix, args.diff);
    let (mut fixed_files, mut fixed_findings) = (0usize, 0usize);
    let work: Vec<(Input, std::sync::Arc<Config>)> = inputs.into_iter().zip(resolved.configs).collect();
    let mut sink = |outcome: Outcome| {
        let suspend = |f: &mut dyn FnMut() -> bool| match &progress {
            Some(bar) => bar.suspend(f),
            None => f(),
        };
        if let Some(bar) = &progress {
            bar.inc(1);
        }
        match outcome {
            Outcome::Failed(error) => {
                totals.unreadable += 1;
                sarif.unreadable(&error.display, &error.to_string());
                suspend(&mut || {
                    report_error(&mut stderr, &error);
                    true
                })
            }
            Outcome::Checked(report, change) => {
                let mut buffer = Vec::new();
                if let Some(change) = change {
                    if change.fixed > 0 {
                        fixed_files += 1;
                        fixed_findings += change.fixed;
                    }
                    if let Some(note) = &change.note {
                        if !args.quiet || mode == Some(fix::Mode::Write) {
                            suspend(&mut || {
                                let _ = writeln!(stderr, "{note}");
                                true
                            });
                        }
                    }
                    if let Some(output) = change.output {
                        if mode == Some(fix::Mode::Diff) {
                            totals.files += 1;
                        }
                        return output.is_empty() || suspend(&mut || write(output.as_bytes(), &mut stdout));
                    }
                }
                totals.add(&report);
                match args.format {
                    Format::Human => human::write_file(&mut buffer, &report).expect("writing to memory"),
                    Format::Json => json.file(&mut buffer, &report).expect("writing to memory"),
                    Format::Sarif => sarif.file(&report),
                }
                buffer.is_empty() || suspend(&mut || write(&buffer, &mut stdout))
            }
        }
    };
    let mut going = true;
    for outcome in settings_outcomes {
        going = going && sink(outcome);
    }
    if going {
        let stdin_text = stdin_text.as_ref();
        ordered::for_each_ordered(&work, jobs, |(input, config)| check_one(input, config, mode, stdin_text), &mut sink);
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }

    match args.format {
        Format::Human => {}
        Format::Json => {
            let mut buffer = Vec::new();
            json.finish(&mut buffer).expect("writing to memory");
            write(&buffer, &mut stdout);
        }
        Format::Sarif => {
            let mut buffer = serde_json::to_vec_pretty(&sarif.finish()).expect("SARIF serializes");
            buffer.push(b'\n');
            write(&buffer, &mut stdout);
        }
    }

    if let Some(error) = &write_failed {
        if error.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(stderr, "podsec: cannot write output: {}", inputs::io_reason(error));
            return ExitCode::from(EXIT_USAGE);
        }
    }
    if let Some(mode) = mode {
        if !args.quiet {
            let done = if mode == fix::Mode::Write { "Fixed" } else { "Would fix" };
            let _ = writeln!(
                stderr,
                "{done} {fixed_findings} finding{} in {fixed_files} file{}.",
                plural(fixed_findings),
                plural(fixed_files)
            );
        }
        if mode == fix::Mode::Diff {
            let code = if totals.unreadable > 0 {
                EXIT_USAGE
            } else if fixed_files > 0 {
                EXIT_FINDINGS
            } else {
                EXIT_OK
            };
            return ExitCode::from(code);
        }
    }
    if !args.quiet && args.format == Format::Human {
        let _ = writeln!(stderr, "{}", summary(&totals));
    }
    ExitCode::from(exit_code(&totals))
}

/// 2 when a path could not be read, else 1 when any finding is an error.
pub fn exit_code(totals: &Totals) -> u8 {
    if totals.unreadable > 0 {
        EXIT_USAGE
    } else if totals.errors > 0 {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `stdin` is standard input's text, read before the checks began.
fn check_one(
    input: &Input,
    config: &Config,
    mode: Option<fix::Mode>,
    stdin: Option<&Result<String, InputError>>,
) -> Outcome {
    let read = match (&input.source, stdin) {
        (Source::Stdin, Some(text)) => text.clone(),
        _ => inputs::read(input),
    };
    let text = match read {
        Ok(text) => text,
        Err(error) => return Outcome::Failed(error),
    };
    // A bug in one rule must not hide the results of every other file.
    // A chart's partials hold `define` blocks, not manifests.
    let partial = matches!(&input.source, inputs::Source::File(path) if crate::chart::is_template_partial(path));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let (text, change) = match mode {
            Some(mode) if !partial => {
                let (text, change) = fix::fix_one(input, text, config, mode)?;
                (text, Some(change))
            }
            _ => (text, None),
        };
        let findings = if partial { Vec::new() } else { analysis::analyze(&text, config).findings };
        Ok::<_, InputError>((text, findings, change))
    }));
    match result {
        Ok(Err(error)) => Outcome::Failed(error),
        Ok(Ok((text, findings, change))) => {
            Outcome::Checked(FileReport::new(input.display.clone(), text, findings), change)
        }
        Err(_) => Outcome::Failed(InputError {
            display: input.display.clone(),
            reason: "internal error while analysing it (a podsec bug: please report it)".to_owned(),
        }),
    }
}

fn report_error(stderr: &mut AutoStream<io::Stderr>, error: &InputError) {
    let _ = writeln!(stderr, "podsec: {error}");
}

fn progress_bar(len: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    let style = indicatif::ProgressStyle::with_template("{spinner} checking {bar:30} {pos}/{len} files")
        .expect("valid template")
        .progress_chars("=> ");
    bar.set_style(style);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_paths_outrank_error_findings() {
        assert_eq!(exit_code(&Totals::default()), EXIT_OK);
        assert_eq!(exit_code(&Totals { files: 1, warnings: 3, hints: 1, ..Totals::default() }), EXIT_OK);
        assert_eq!(exit_code(&Totals { files: 1, errors: 1, ..Totals::default() }), EXIT_FINDINGS);
        assert_eq!(exit_code(&Totals { files: 1, errors: 1, unreadable: 1, ..Totals::default() }), EXIT_USAGE);
    }

    #[test]
    fn arguments_parse_with_their_defaults() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            args: CheckArgs,
        }
        let cli = Cli::try_parse_from(["podsec"]).unwrap();
        assert_eq!(cli.args.paths, [PathBuf::from(".")]);
        assert_eq!(cli.args.format, Format::Human);
        assert_eq!(cli.args.kubernetes_version, None);
        assert_eq!(cli.args.profile, None);
        let cli = Cli::try_parse_from([
            "podsec",
            "--format",
            "sarif",
            "--profile",
            "baseline",
            "--kubernetes-version",
            "v1.29",
            "-q",
            "-",
        ])
        .unwrap();
        assert_eq!(cli.args.format, Format::Sarif);
        assert_eq!(cli.args.profile, Some(Profile::Baseline));
        assert_eq!(cli.args.kubernetes_version, Some(KubeVersion::new(29)));
        assert!(cli.args.quiet);
        assert_eq!(cli.args.paths, [PathBuf::from("-")]);
    }
}
