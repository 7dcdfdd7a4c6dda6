//! `podsec check`: the command-line front end.
//!
//! Findings go to stdout in the chosen format; the summary, the progress bar
//! and read errors go to stderr. Files are written only with `--fix`.

mod annotations;
mod fix;
mod helm;
mod human;
mod inputs;
mod json;
mod kustomize;
mod namespaces;
mod ordered;
mod report;
mod rule;
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
use human::summary;
use inputs::{Input, InputError, Source};
use report::{FileReport, Totals};
pub use rule::{rule, RuleArgs};
use sarif::SarifLog;

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
    /// GitHub Actions workflow commands: findings shown on the pull request's lines.
    Github,
    /// GitLab Code Quality report (JSON): findings shown in the merge request.
    Gitlab,
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

    /// A values file for the Helm charts among the paths, over each chart's
    /// `values.yaml` (repeatable; later files win, as with `helm -f`).
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    pub values: Vec<PathBuf>,

    /// A value for the Helm charts among the paths, as `helm --set` takes
    /// it (`a.b=1,c[0]=x`; repeatable, wins over values files).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Like --set, the values kept as strings.
    #[arg(long = "set-string", value_name = "KEY=VALUE")]
    pub set_string: Vec<String>,

    /// How many files to read and check at once (default: one per CPU).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<std::num::NonZeroUsize>,
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
            // `-f/--values` names files of its own (`helm::Charts`); the
            // settings' `helm` stay those of `.podsec.yaml`.
            helm_values_files: None,
            helm_openshift: None,
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

    let jobs = args.jobs.map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), |n| n.get());
    let flags = args.flag_settings();
    let resolver = settings::Resolver::new(args.config.as_deref(), &flags);
    let mode = fix::Mode::from_flags(args.fix, args.diff);
    let progress = Progress::new(!args.quiet && io::stderr().is_terminal());
    tracing::debug!(jobs, "checking");
    let sets = args.set.iter().map(|s| (s.clone(), false)).chain(args.set_string.iter().map(|s| (s.clone(), true)));
    let charts = helm::Charts::new(args.values.clone(), sets.collect());
    // A values file is checked too: findings land in it.
    for values in &args.values {
        if !args.paths.contains(values) {
            args.paths.push(values.clone());
        }
    }
    let charts = &charts;

    // First pass, as the walk finds each file: its settings, its labelled
    // Namespaces and, without --fix/--diff, its findings under those
    // settings. Standard input alone (`kustomize build | podsec check -`) is
    // read first, so its Namespaces count too; beside other inputs it is
    // read when its turn comes, so that their findings stream while it is
    // still open.
    let stdin_input = Input { source: Source::Stdin, display: stdin_name.clone() };
    let stdin_alone = !args.paths.is_empty() && args.paths.iter().all(|p| p.as_os_str() == "-");
    let stdin_text = stdin_alone.then(|| inputs::read(&stdin_input));
    let (mut scanned, mut walk_errors) = inputs::collect_visiting(&args.paths, &stdin_name, jobs, |input| {
        let first = first_pass(input, &resolver, mode, None, charts);
        progress.tick();
        first
    });
    for (input, first) in &mut scanned {
        if first.is_none() && stdin_alone {
            *first = Some(first_pass(input, &resolver, mode, stdin_text.as_ref(), charts));
        }
    }

    // The Namespaces of every input decide the profile of the workloads in
    // them: what the first pass judged under other settings is judged again.
    let found =
        scanned.iter_mut().filter_map(|(_, first)| first.as_mut()).flat_map(|f| std::mem::take(&mut f.namespaces));
    let mut namespace_scan = namespaces::NamespaceScan::new(found.collect());
    let all_inputs: Vec<Input> = scanned.iter().map(|(input, _)| input.clone()).collect();
    let work: Vec<std::sync::Mutex<Option<Pending>>> = scanned
        .into_iter()
        .map(|(input, first)| {
            let (config, outcome) = match first {
                Some(first) => (first.config, first.outcome),
                None => (resolver.config_for(&input), None),
            };
            let config_in_force = namespace_scan.config_for(&input, &config);
            let pending = match outcome {
                Some(outcome) if std::sync::Arc::ptr_eq(&config, &config_in_force) => Pending::Done(outcome),
                Some(failed @ Outcome::Failed(_)) => Pending::Done(failed),
                Some(Outcome::Checked(report, _)) => Pending::Analyse(input, config_in_force, report.text),
                None => Pending::Check(input, config_in_force),
            };
            std::sync::Mutex::new(Some(pending))
        })
        .collect();
    let overlays = kustomize::Overlays::new(all_inputs.iter(), &args.paths, &mut |input| {
        namespace_scan.config_for(input, &resolver.config_for(input))
    });
    let (settings_errors, problem_reports) = resolver.finish();
    walk_errors.extend(settings_errors);

    let mut totals = Totals::default();
    progress.suspend(|| {
        for error in &walk_errors {
            report_error(&mut stderr, error);
        }
    });
    totals.unreadable += walk_errors.len();
    let mut json = json::JsonWriter::default();
    let mut sarif = SarifLog::default();
    let mut unreadable_annotations = Vec::new();
    for error in &walk_errors {
        sarif.unreadable(&error.display, &error.to_string());
        if args.format == Format::Github {
            annotations::write_github_unreadable(&mut unreadable_annotations, &error.display, &error.to_string())
                .expect("writing to memory");
        }
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

    match args.format {
        Format::Json | Format::Gitlab => {
            let mut buffer = Vec::new();
            json.start(&mut buffer).expect("writing to memory");
            write(&buffer, &mut stdout);
        }
        Format::Github if !unreadable_annotations.is_empty() => {
            write(&unreadable_annotations, &mut stdout);
        }
        _ => {}
    }
    // Problems in settings files come first, as findings on those files.
    let settings_outcomes: Vec<Outcome> = problem_reports.into_iter().map(|r| Outcome::Checked(r, None)).collect();
    let (mut fixed_files, mut fixed_findings) = (0usize, 0usize);
    let mut sink = |(outcome, rendered): (Outcome, Rendered)| match outcome {
        Outcome::Failed(error) => {
            totals.unreadable += 1;
            sarif.unreadable(&error.display, &error.to_string());
            progress.suspend(|| report_error(&mut stderr, &error));
            if args.format == Format::Github {
                let mut buffer = Vec::new();
                annotations::write_github_unreadable(&mut buffer, &error.display, &error.to_string())
                    .expect("writing to memory");
                return write(&buffer, &mut stdout);
            }
            true
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
                        progress.suspend(|| {
                            let _ = writeln!(stderr, "{note}");
                        });
                    }
                }
                if let Some(output) = change.output {
                    if mode == Some(fix::Mode::Diff) {
                        totals.files += 1;
                    }
                    return output.is_empty() || progress.suspend(|| write(output.as_bytes(), &mut stdout));
                }
            }
            totals.add(&report);
            match rendered {
                Rendered::Human(bytes) => buffer = bytes,
                Rendered::Json(findings) => json.rendered(&mut buffer, &findings).expect("writing to memory"),
                Rendered::Later => sarif.file(&report),
            }
            buffer.is_empty() || progress.suspend(|| write(&buffer, &mut stdout))
        }
    };
    let mut going = true;
    for outcome in settings_outcomes {
        let rendered = render(&outcome, args.format);
        going = going && sink((outcome, rendered));
    }
    if going {
        // Second pass, in the order of the output, as each result and all
        // before it are ready: what the first pass left to do.
        progress.second_pass(
            work.iter().filter(|p| !matches!(*p.lock().expect("no panic holds it"), Some(Pending::Done(_)))).count(),
        );
        let stdin_text = stdin_text.as_ref();
        ordered::for_each_ordered(
            &work,
            jobs,
            |pending| {
                let pending = pending.lock().expect("no panic holds it").take().expect("each item is taken once");
                let outcome = match pending {
                    Pending::Done(outcome) => outcome,
                    Pending::Analyse(input, config, text) => {
                        progress.tick();
                        check_text(&input, text, &config, None, charts)
                    }
                    Pending::Check(input, config) => {
                        progress.tick();
                        // A patch is not a workload: its standalone findings are not fixed.
                        if overlays.as_ref().is_some_and(|o| o.is_patch_only(&input)) {
                            match check_one(&input, &config, None, stdin_text, charts) {
                                Outcome::Checked(report, None) => {
                                    Outcome::Checked(report, mode.map(fix::Change::nothing))
                                }
                                outcome => outcome,
                            }
                        } else {
                            check_one(&input, &config, mode, stdin_text, charts)
                        }
                    }
                };
                let outcome = match &overlays {
                    Some(overlays) => overlays.adjust(outcome),
                    None => outcome,
                };
                let rendered = render(&outcome, args.format);
                (outcome, rendered)
            },
            &mut sink,
        );
        for outcome in overlays.iter().flat_map(|overlays| overlays.remaining(mode)) {
            let rendered = render(&outcome, args.format);
            sink((outcome, rendered));
        }
    }
    // What the charts say outside any file: problems with --set, and
    // findings on a value that --set gives.
    for (display, text, placed) in charts.undelivered() {
        if going {
            let outcome = Outcome::Checked(chart_report(display, text, placed), None);
            let rendered = render(&outcome, args.format);
            going = sink((outcome, rendered));
        }
    }
    let judged_charts = charts.all();
    for chart in &judged_charts {
        for (argument, finding) in &chart.on_set {
            if going {
                let report = FileReport::new("--set".to_owned(), argument.clone(), vec![finding.clone()]);
                let outcome = Outcome::Checked(report, None);
                let rendered = render(&outcome, args.format);
                going = sink((outcome, rendered));
            }
        }
    }
    for problem in judged_charts.iter().flat_map(|c| &c.problems) {
        totals.unreadable += 1;
        progress.suspend(|| {
            let _ = writeln!(stderr, "podsec: {problem}");
        });
    }
    progress.finish();

    match args.format {
        Format::Human | Format::Github => {}
        Format::Json | Format::Gitlab => {
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

/// A file's findings in the output format, made on the thread that checked it.
enum Rendered {
    /// Text lines (human, GitHub).
    Human(Vec<u8>),
    /// One JSON object per finding (JSON, GitLab).
    Json(Vec<Vec<u8>>),
    /// SARIF is one document, made at the end.
    Later,
}

fn render(outcome: &Outcome, format: Format) -> Rendered {
    let Outcome::Checked(report, _) = outcome else { return Rendered::Later };
    match format {
        Format::Human => {
            let mut bytes = Vec::new();
            human::write_file(&mut bytes, report).expect("writing to memory");
            Rendered::Human(bytes)
        }
        Format::Json => Rendered::Json(json::render(report)),
        Format::Github => {
            let mut bytes = Vec::new();
            annotations::write_github(&mut bytes, report).expect("writing to memory");
            Rendered::Human(bytes)
        }
        Format::Gitlab => Rendered::Json(annotations::render_gitlab(report)),
        Format::Sarif => Rendered::Later,
    }
}

/// What the first pass learns of one input.
struct FirstPass {
    config: std::sync::Arc<Config>,
    /// Its labelled Namespaces.
    namespaces: Vec<crate::namespaces::NamespaceLabels>,
    /// Its findings under `config` (none yet with `--fix` or `--diff`).
    outcome: Option<Outcome>,
}

/// What the second pass does with one input.
enum Pending {
    /// The first pass's result stands.
    Done(Outcome),
    /// Judge the text read in the first pass again, with these settings.
    Analyse(Input, std::sync::Arc<Config>, String),
    /// Read (and fix) it now.
    Check(Input, std::sync::Arc<Config>),
}

fn first_pass(
    input: &Input,
    resolver: &settings::Resolver<'_>,
    mode: Option<fix::Mode>,
    stdin: Option<&Result<String, InputError>>,
    charts: &helm::Charts,
) -> FirstPass {
    let config = resolver.config_for(input);
    let read = match (&input.source, stdin) {
        (Source::Stdin, Some(text)) => text.clone(),
        _ => inputs::read(input),
    };
    let text = match read {
        Ok(text) => text,
        // Reported when its turn comes in the output.
        Err(error) => return FirstPass { config, namespaces: Vec::new(), outcome: Some(Outcome::Failed(error)) },
    };
    let namespaces = namespaces::NamespaceScan::namespaces_of(input, &text);
    let outcome = mode.is_none().then(|| check_text(input, text, &config, None, charts));
    FirstPass { config, namespaces, outcome }
}

/// `stdin` is standard input's text, read before the checks began.
fn check_one(
    input: &Input,
    config: &Config,
    mode: Option<fix::Mode>,
    stdin: Option<&Result<String, InputError>>,
    charts: &helm::Charts,
) -> Outcome {
    let read = match (&input.source, stdin) {
        (Source::Stdin, Some(text)) => text.clone(),
        _ => inputs::read(input),
    };
    match read {
        Ok(text) => check_text(input, text, config, mode, charts),
        Err(error) => Outcome::Failed(error),
    }
}

/// Judges (and with `mode`, fixes) the text of `input`.
fn check_text(input: &Input, text: String, config: &Config, mode: Option<fix::Mode>, charts: &helm::Charts) -> Outcome {
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
        let unchanged = change.as_ref().is_none_or(|c| c.fixed == 0);
        let in_chart = match &input.source {
            inputs::Source::File(path) if unchanged => charts.findings_for(path, config),
            _ => None,
        };
        let report = match in_chart {
            // A chart's file: judged with the chart's values.
            Some(placed) => chart_report(input.display.clone(), text, placed),
            None if partial => FileReport::new(input.display.clone(), text, Vec::new()),
            None => {
                let findings = analysis::analyze(&text, config).findings;
                FileReport::new(input.display.clone(), text, findings)
            }
        };
        Ok::<_, InputError>((report, change))
    }));
    match result {
        Ok(Err(error)) => Outcome::Failed(error),
        Ok(Ok((report, change))) => Outcome::Checked(report, change),
        Err(_) => Outcome::Failed(InputError {
            display: input.display.clone(),
            reason: "internal error while analysing it (a podsec bug: please report it)".to_owned(),
        }),
    }
}

fn report_error(stderr: &mut AutoStream<io::Stderr>, error: &InputError) {
    let _ = writeln!(stderr, "podsec: {error}");
}

/// The progress bar: on a terminal only, drawn once a run has checked
/// enough files for it not to flicker.
struct Progress {
    enabled: bool,
    done: std::sync::atomic::AtomicU64,
    bar: std::sync::OnceLock<indicatif::ProgressBar>,
}

impl Progress {
    fn new(enabled: bool) -> Self {
        Progress { enabled, done: Default::default(), bar: Default::default() }
    }

    /// One more file checked (from any thread).
    fn tick(&self) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if self.enabled && (done >= PROGRESS_MIN_FILES as u64 || self.bar.get().is_some()) {
            let bar = self.bar.get_or_init(|| {
                let bar = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
                let style =
                    indicatif::ProgressStyle::with_template("{spinner} checking: {pos} files").expect("valid template");
                bar.set_style(style);
                bar
            });
            bar.set_position(done);
        }
    }

    /// The second pass re-checks `len` files (those the first pass could not finish).
    fn second_pass(&self, len: usize) {
        if let Some(bar) = self.bar.get() {
            if len > 0 {
                let style =
                    indicatif::ProgressStyle::with_template("{spinner} checking again {bar:30} {pos}/{len} files")
                        .expect("valid template")
                        .progress_chars("=> ");
                bar.set_style(style);
                bar.set_length(len as u64);
            }
        }
        self.done.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// Writes to the terminal with the bar out of the way.
    fn suspend<R>(&self, f: impl FnOnce() -> R) -> R {
        match self.bar.get() {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// The report of a chart's file: findings with their values paths and
/// related places (the template lines the values flow into).
fn chart_report(display: String, text: String, placed: Vec<helm::Placed>) -> FileReport {
    let extras: Vec<_> = placed.iter().map(|p| (p.values_path.clone(), p.related.clone())).collect();
    let mut report = FileReport::new(display, text, placed.into_iter().map(|p| p.finding).collect());
    for (located, (values_path, related)) in report.findings.iter_mut().zip(extras) {
        located.values_path = values_path;
        located.related = related;
    }
    report
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
