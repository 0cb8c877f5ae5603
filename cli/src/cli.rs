//! The command line: every command, option and help text.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Credentials come from the environment, never from files or arguments:
  PARTNER_ALERTS_TOKEN                          a bearer token (either API)
  AZURE_TENANT_ID, AZURE_CLIENT_ID,
  AZURE_CLIENT_SECRET                           Microsoft Graph, client credentials
  AZURE_TENANT_ID, AZURE_CLIENT_ID,
  PARTNER_CENTER_REFRESH_TOKEN                  Partner Center (fraud-events), app + user

Exit codes: 0 ok, 1 error, 2 usage or configuration error (nothing was sent),
3 partial (some tenants or alerts failed; the rest was printed).

Examples:
  partner-alerts --emulator dashboard
  partner-alerts list --status active --severity high
  partner-alerts --tenants tenants.toml list --format csv --bom > alerts.csv";

const TENANTS_HELP: &str = "\
Read every partner tenant listed in this TOML file, concurrently, each alert tagged with its
tenant's name. Secrets never go in the file, only the names of the variables holding them:

  [[tenant]]
  name = \"contoso\"
  source = \"graph\"                  # or \"fraud-events\"; graph by default
  base_url = \"https://...\"          # optional
  token_env = \"CONTOSO_TOKEN\"       # a bearer token from this variable, or:
  # tenant_id = \"...\", client_id = \"...\", client_secret_env = \"CONTOSO_SECRET\"
  # (fraud-events: tenant_id, client_id, refresh_token_env, optional client_secret_env)";

/// See and answer Azure partner security alerts (Microsoft Graph or Partner Center
/// FraudEvents) across every Partner Center tenant you run.
#[derive(Debug, Parser)]
#[command(name = "partner-alerts", version, after_help = AFTER_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Which API to read.
    #[arg(long, value_enum, global = true, default_value_t = SourceArg::Graph)]
    pub source: SourceArg,
    /// The API's base URL (Graph's ends in /beta); Microsoft's by default. `http://` only on
    /// loopback.
    #[arg(long, global = true, value_name = "URL", conflicts_with_all = ["emulator", "tenants"])]
    pub base_url: Option<String>,
    /// Start the bundled emulator in-process with sample alerts and read it: no credentials
    /// needed, nothing leaves this machine.
    #[arg(long, global = true, conflicts_with = "tenants")]
    pub emulator: bool,
    /// Partner Center's base URL, for `--enrich`'s names and `respond`; Microsoft's by
    /// default, the emulator's with --emulator. `http://` only on loopback.
    #[arg(long, global = true, value_name = "URL", conflicts_with = "tenants")]
    pub partner_center_url: Option<String>,
    /// Read every partner tenant listed in this TOML file.
    #[arg(long, global = true, value_name = "FILE", long_help = TENANTS_HELP)]
    pub tenants: Option<PathBuf>,
    /// Print the result as JSON (JSON lines for `list`).
    #[arg(long, global = true)]
    pub json: bool,
    /// How many tenants to read at once.
    #[arg(long, global = true, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// The API a source reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SourceArg {
    /// Microsoft Graph partner security alerts.
    Graph,
    /// The legacy Partner Center FraudEvents API.
    FraudEvents,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List alerts, most urgent first.
    #[command(after_help = "\
Examples:
  partner-alerts list --status active --severity high
  partner-alerts list --since 2026-11-01T00:00:00Z --format jsonl
  partner-alerts list --format csv --bom > alerts.csv
  partner-alerts list --customer 8f1a1a52-0fa4-4b0e-9b43-52a6f4d8c1a0 --format count")]
    List(ListArgs),
    /// Show one alert.
    #[command(after_help = "\
Examples:
  partner-alerts get 2f4d3c7a-1b2c-4d5e-8f90-a1b2c3d4e5f6
  partner-alerts get 2f4d3c7a-1b2c-4d5e-8f90-a1b2c3d4e5f6 --json")]
    Get(GetArgs),
    /// The Security Alerts dashboard's figures and the response-time rules'.
    #[command(after_help = "\
Examples:
  partner-alerts dashboard
  partner-alerts dashboard --json
  partner-alerts --tenants tenants.toml dashboard --html report.html")]
    Dashboard(DashboardArgs),
    /// Resolve many alerts at once: a dry run unless --apply.
    #[command(after_help = "\
Without --apply nothing is changed: the alerts that would change are printed. Alerts already
resolved are skipped, so running it again is safe. The selection is the unresolved alerts
matching the filters (--status resolved selects resolved ones, to change their reason), or
the ids of --ids-from (of which the resolved ones are skipped).

Examples:
  partner-alerts resolve --older-than 90d --reason ignore
  partner-alerts resolve --older-than 90d --reason ignore --apply
  partner-alerts list --severity low --format jsonl > low.jsonl
  partner-alerts resolve --ids-from low.jsonl --reason legitimate --apply --json")]
    Resolve(ResolveArgs),
    /// Watch for new and changed alerts, restart-safe, until SIGTERM or Ctrl-C.
    #[command(after_help = "\
Each poll reads the alerts detected since the last one (with an overlap for clock skew) and
sweeps the unresolved ones for changes (status, reason, last observed, severity). The
checkpoint file records what was reported: stopped with SIGTERM or Ctrl-C and started again,
every event is printed exactly once; killed, an event may repeat from the poll in flight,
with the same key. On a first run every unresolved alert is reported once as new (or, with
--from-now, only what happens from now on). With --tenants, --checkpoint is a directory
holding one checkpoint per tenant.

Examples:
  partner-alerts watch --checkpoint ~/.local/state/partner-alerts.checkpoint
  partner-alerts watch --checkpoint alerts.checkpoint --interval 5m --format jsonl
  partner-alerts --tenants tenants.toml watch --checkpoint checkpoints/ --from-now")]
    Watch(WatchArgs),
    /// Stop a hijacked Azure subscription (cancel or suspend it), or undo it: planned first,
    /// acting only with --apply --confirm.
    #[command(after_help = "\
Without --apply nothing is changed: the plan is printed, read from Partner Center now (the
customer, the subscription, its status, exactly what would be sent, the alerts resolved
after). --apply acts only with --confirm naming the id the plan shows under \"Confirm with\"
(the Azure subscription; the Partner Center subscription for a legacy subscription or an
Azure plan): any other id is refused and nothing is sent.

stop cancels an Azure plan's Azure subscription (reason compromise, the only one Partner
Center documents: billing stops, virtual machines are deallocated, storage turns read-only,
data is kept 30 to 90 days) or suspends a legacy one, waits until Partner Center shows it stopped (about ten minutes; --wait), then
resolves the subscription's open alerts as fraud, each reported (--keep-alerts to leave them).
reactivate undoes it. suspend-plan suspends the whole Azure plan once none of its
subscriptions is active, so that no one reactivates them; it also stops the customer's
legitimate use. Talk to the customer first.

Needs a Partner Center App+User token of a user with the Global Administrator and Admin Agent
roles (AZURE_TENANT_ID, AZURE_CLIENT_ID, PARTNER_CENTER_REFRESH_TOKEN). Exit codes: 0 done,
1 error, 2 usage error or a refused plan (nothing was sent), 3 sent but not finished or
some alerts not resolved.

Examples:
  partner-alerts respond 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398
  partner-alerts respond 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398 --apply --confirm 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398
  partner-alerts respond 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398 --action reactivate
  partner-alerts --emulator respond 5f6e6521-6e5f-4b0b-80aa-bd44fad7a398 --json")]
    Respond(RespondArgs),
    /// Partner Center webhooks: receive verified pushes (serve), register, show, test.
    Webhooks(crate::commands::webhooks::WebhooksArgs),
    /// The partner security score, each requirement and what to do, and the response-time SLA.
    #[command(after_help = "\
Microsoft requires CSP partners to answer security alerts within 24 hours on average (30
days); the dashboard asks for one hour. Beside the service's figure, `score` computes your
own average from the alerts (detected to resolved, over those resolved in the last 30 days)
and when leaving the open alerts open would push it over 24 hours. Graph only; with
--tenants, one section per Graph tenant (FraudEvents tenants are skipped).

Examples:
  partner-alerts score
  partner-alerts score --json
  partner-alerts --emulator score")]
    Score(ScoreArgs),
    /// Check the setup, step by step: credentials, token, permissions, clock, endpoints.
    #[command(after_help = "\
Each check prints one line: ok, or the problem and how to fix it. The token's claims are read
without verifying its signature and the token is never printed. Exit code 0 when every check
passes, 1 otherwise. Checks one setup: the environment's credentials (or --emulator, or
--base-url); not --tenants.

Examples:
  partner-alerts doctor
  partner-alerts --source fraud-events doctor
  partner-alerts --emulator doctor")]
    Doctor(DoctorArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  partner-alerts completions bash > ~/.local/share/bash-completion/completions/partner-alerts
  partner-alerts completions zsh > ~/.zfunc/_partner-alerts
  partner-alerts completions fish > ~/.config/fish/completions/partner-alerts.fish
  partner-alerts completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
}

/// Which alerts: the filters `list` and `dashboard` share.
#[derive(Debug, Default, Args)]
pub struct FilterArgs {
    /// Only this status.
    #[arg(long, value_parser = ["active", "investigating", "resolved"], ignore_case = true)]
    pub status: Option<String>,
    /// Only this severity.
    #[arg(long, value_parser = ["high", "medium", "low", "informational"], ignore_case = true)]
    pub severity: Option<String>,
    /// Only this alert type (the API's `alertType`, e.g. CryptoMining).
    #[arg(long, value_name = "TYPE")]
    pub alert_type: Option<String>,
    /// Only this customer tenant id.
    #[arg(long, value_name = "TENANT_ID")]
    pub customer: Option<String>,
    /// Only this Azure subscription id.
    #[arg(long, value_name = "SUBSCRIPTION_ID")]
    pub subscription: Option<String>,
    /// Only alerts detected at or after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z).
    #[arg(long, value_name = "TIME")]
    pub since: Option<DateTime<Utc>>,
    /// Only alerts detected before this time (RFC 3339).
    #[arg(long, value_name = "TIME")]
    pub until: Option<DateTime<Utc>>,
    /// A raw OData filter, joined to the others with `and` (Graph only).
    #[arg(long, value_name = "ODATA")]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Properties to return, comma-separated (e.g. status,severity); `id` always comes.
    #[arg(long, value_delimiter = ',', value_name = "PROPERTIES")]
    pub select: Vec<String>,
    /// Output: a table (most urgent first), one JSON alert per line, the CSV export, or the
    /// count.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Start the CSV with a UTF-8 byte order mark, for Excel.
    #[arg(long)]
    pub bom: bool,
    /// Add the customer's, reseller's and subscription's names from Partner Center (CSV:
    /// three columns after the ids; JSON lines: `names`; the table: a CUSTOMER column, 20
    /// columns wider). Not with --tenants.
    #[arg(long, conflicts_with = "select")]
    pub enrich: bool,
}

/// How `list` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table sorted most urgent first: unresolved, then severity, then age.
    Table,
    /// One JSON alert per line, as the service sent it.
    Jsonl,
    /// The dashboard's export columns and more (RFC 4180, RFC 3339 UTC times).
    Csv,
    /// Only the number of alerts.
    Count,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Only alerts detected longer ago than this (e.g. 90d, 12h, 2w): for clearing a backlog.
    #[arg(long, value_name = "AGE", value_parser = crate::duration::parse, conflicts_with = "until")]
    pub older_than: Option<chrono::TimeDelta>,
    /// Resolve the alerts named in FILE (`-`: standard input): one id per line, or the JSON
    /// lines `list --format jsonl` prints (with several tenants, these name each alert's
    /// tenant).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["status", "severity", "alert_type", "customer", "subscription", "since", "until", "filter", "older_than", "all"])]
    pub ids_from: Option<PathBuf>,
    /// Every unresolved alert, with no other filter.
    #[arg(long)]
    pub all: bool,
    /// Why: legitimate (expected, a false positive), ignore (an older alert), fraud.
    #[arg(long, value_parser = ["legitimate", "ignore", "fraud"], ignore_case = true)]
    pub reason: String,
    /// Change the alerts; without it, only say what would change.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Debug, Args)]
pub struct RespondArgs {
    /// The Azure subscription (an alert's subscriptionId).
    #[arg(value_name = "SUBSCRIPTION_ID")]
    pub subscription: String,
    /// What to do.
    #[arg(long, value_enum, default_value_t = RespondAction::Stop)]
    pub action: RespondAction,
    /// The customer's tenant id; by default the one the subscription's alerts name.
    #[arg(long, value_name = "TENANT_ID")]
    pub customer: Option<String>,
    /// Leave the subscription's alerts as they are after a stop.
    #[arg(long)]
    pub keep_alerts: bool,
    /// Act; without it, only print the plan.
    #[arg(long, requires = "confirm")]
    pub apply: bool,
    /// The id the plan asks to confirm with (under "Confirm with").
    #[arg(long, value_name = "ID", requires = "apply")]
    pub confirm: Option<String>,
    /// How long to wait for Partner Center to show the change (e.g. 15m); then exit 3 and
    /// leave it to finish.
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse, default_value = "15m")]
    pub wait: chrono::TimeDelta,
    /// How often to read the state while waiting; 30s by default (1s on the emulator).
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse)]
    pub poll_interval: Option<chrono::TimeDelta>,
}

/// What `respond` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RespondAction {
    /// Cancel an Azure plan's Azure subscription, or suspend a legacy one; then resolve its
    /// open alerts as fraud.
    Stop,
    /// Reactivate the cancelled or suspended subscription.
    Reactivate,
    /// Suspend the Azure plan holding the subscription (none of its subscriptions active).
    SuspendPlan,
    /// Reactivate that Azure plan.
    ReactivatePlan,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Where to keep the checkpoint (a directory with --tenants).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: PathBuf,
    /// Time between polls (e.g. 60s, 5m).
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse, default_value = "60s")]
    pub interval: chrono::TimeDelta,
    /// One line per event, or one JSON object per event (`--json` is the same).
    #[arg(long, value_enum, default_value_t = WatchFormat::Line)]
    pub format: WatchFormat,
    /// On a first run (no checkpoint yet), report only what happens from now on.
    #[arg(long)]
    pub from_now: bool,
}

/// How `watch` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// `TIME new ID SEVERITY STATUS NAME` or `TIME changed ID FIELD: OLD -> NEW; ...`.
    Line,
    /// `{"event": "new"|"changed", "key": .., "alert": {..}, "previous": {..}, "changes": [..]}`.
    Jsonl,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// The alert's id.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Also write a self-contained HTML report (no external resources) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Break the alerts down by customer name (from Partner Center) rather than tenant id.
    /// Not with --tenants.
    #[arg(long)]
    pub enrich: bool,
    /// Compute the figures as of this time instead of now (RFC 3339).
    #[arg(long, value_name = "TIME", hide = true)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Compute the SLA figures as of this time instead of now (RFC 3339).
    #[arg(long, value_name = "TIME", hide = true)]
    pub now: Option<DateTime<Utc>>,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
