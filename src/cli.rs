//! The command line.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use trappan_bistand::domain::YearMonth;
use trappan_platform::auth::{CallContext, Caller, Kommun, Role, TokenSigner};
use trappan_platform::config::{AuthMode, ServiceKind, Settings};

use crate::progress::Progress;

/// Trappan: ekonomiskt bistånd, arbetsmarknadsinsatser, Ungsam and reporting.
#[derive(Debug, Parser)]
#[command(name = "trappan", version)]
pub struct Cli {
    /// A TOML configuration file (defaults → this file → TRAPPAN__… environment).
    #[arg(long, env = "TRAPPAN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs one service, or `all` of them in one process (for local use).
    Serve {
        /// bistand, insatser, ungsam, rapport or all.
        service: String,
        /// Loads the demo municipality once the services are ready.
        #[arg(long)]
        demo: bool,
    },
    /// Runs a store's migrations and exits.
    Migrate {
        /// bistand, insatser, ungsam, rapport or all.
        service: String,
    },
    /// Prints a bearer token signed with the local dev key.
    Token {
        /// The role (socialsekreterare, arbetsmarknadskoordinator, ungdomscoach, enhetschef, analytiker,
        /// system, dataskyddsombud).
        #[arg(long)]
        role: String,
        /// The municipality's 4-digit kommunkod.
        #[arg(long)]
        kommun: String,
        /// The caller's unit.
        #[arg(long, default_value = "")]
        unit: String,
        /// The caller's identifier.
        #[arg(long, default_value = "dev-user")]
        subject: String,
        /// Validity in minutes.
        #[arg(long, default_value_t = 480)]
        ttl_minutes: u64,
    },
    /// Loads the demo municipality into a running suite through its gRPC API.
    Seed,
    /// Writes the monthly management report (self-contained HTML) of a municipality to a file. It asks the
    /// running rapport over gRPC, as an enhetschef of the municipality with a token signed by the local dev key
    /// (so the report shows exactly what the RPC shows, suppression included).
    Report {
        /// The municipality's 4-digit kommunkod.
        #[arg(long)]
        kommun: String,
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Where to write the HTML page.
        #[arg(long)]
        out: PathBuf,
        /// rapport's address; defaults to rapport's port on the configured listen host.
        #[arg(long)]
        rapport_url: Option<String>,
    },
    /// Measures bistand's calls under load beside a bare tonic baseline run in the same process, and prints
    /// throughput, latency percentiles and errors by status per call, each as a ratio to the baseline.
    Loadgen {
        /// Calls in flight at once.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// HTTP/2 connections the calls are spread over.
        #[arg(long, default_value_t = 1)]
        connections: usize,
        /// Seconds each measured phase runs.
        #[arg(long, default_value_t = 10)]
        duration_secs: u64,
        /// The calls and their weights: calculate_norm, get_household, list_households, create_household.
        #[arg(long, default_value = "calculate_norm=4,get_household=4,list_households=1,create_household=1")]
        mix: crate::loadgen::Mix,
        /// bistand's store for the run (an empty PostgreSQL database); unset: a temporary SQLite file.
        #[arg(long)]
        database_url: Option<String>,
        /// Households created before measuring, for the reads.
        #[arg(long, default_value_t = 200)]
        households: usize,
    },
    /// Runs bistand's retention job (gallring) over all municipalities and prints what it did.
    Gallring {
        /// Reports what would be erased without changing or writing anything.
        #[arg(long)]
        dry_run: bool,
        /// The day to assess as of (YYYY-MM-DD); defaults to today in Swedish time.
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
    },
    /// Lists, retries or discards a service's dead letters: outbound deliveries refused permanently or out
    /// of attempts, which are never retried by themselves. For rapport, `list` also prints the feed events
    /// it could not ingest; those are a record only (the cursor has moved past them), so `retry` and
    /// `discard` act on outbound deliveries alone.
    Deadletters {
        /// bistand, insatser, ungsam or rapport.
        service: String,
        /// What to do with them.
        #[command(subcommand)]
        action: DeadLetterAction,
    },
    /// Works with the services' audit logs.
    Audit {
        /// What to do.
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Writes Socialstyrelsen's monthly register file of ekonomiskt bistånd for one municipality and month,
    /// read from bistand's store (audited as the system job). The file holds identity numbers: it is created
    /// readable by its owner only, and its content is never printed.
    ExportSocialstyrelsen {
        /// The municipality's 4-digit kommunkod.
        #[arg(long)]
        kommun: String,
        /// The month the assistance is for (YYYY-MM).
        #[arg(long)]
        month: String,
        /// The file to write (replaced if it exists).
        #[arg(long)]
        out: PathBuf,
    },
}

/// What `trappan deadletters` does.
#[derive(Debug, Subcommand)]
pub enum DeadLetterAction {
    /// Prints id, kommun, target, kind, attempts, dead_at and last_error of each (never the payload); for
    /// rapport then producer, kommun, sequence, type_url, dead_at and reason of each feed dead letter.
    List,
    /// Puts dead letters back in the queue with a fresh set of attempts (the running service sends them).
    Retry(DeadLetterSelection),
    /// Gives dead letters up: they are kept, marked discarded, and never sent.
    Discard(DeadLetterSelection),
}

/// One dead letter by id, or all of them.
#[derive(Debug, clap::Args)]
pub struct DeadLetterSelection {
    /// The delivery's id, as `list` prints it.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub id: Option<uuid::Uuid>,
    /// Every dead letter not yet discarded.
    #[arg(long)]
    pub all: bool,
}

impl DeadLetterSelection {
    fn which(&self) -> trappan_platform::delivery::DeadLetters {
        use trappan_platform::delivery::DeadLetters;
        self.id.map_or(DeadLetters::All, DeadLetters::One)
    }
}

/// What `trappan audit` does.
#[derive(Debug, Subcommand)]
pub enum AuditAction {
    /// Seals what is committed, then recomputes every municipality's hash chain and prints the first broken
    /// link; exits non-zero when a chain is broken. Reads the stores directly.
    Verify {
        /// bistand, insatser, ungsam, rapport or all.
        #[arg(long, default_value = "all")]
        service: String,
        /// Only this municipality's chain (4-digit kommunkod).
        #[arg(long)]
        kommun: Option<String>,
    },
}

fn kinds(service: &str) -> anyhow::Result<Vec<ServiceKind>> {
    if service == "all" {
        return Ok(ServiceKind::ALL.to_vec());
    }
    ServiceKind::parse(service)
        .map(|kind| vec![kind])
        .ok_or_else(|| anyhow::anyhow!("unknown service {service:?}: use bistand, insatser, ungsam, rapport or all"))
}

/// Parses the command line and runs it; errors are printed and turn into a failing exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("trappan: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Arc::new(Settings::load(cli.config.as_deref())?);
    if !matches!(cli.command, Command::Serve { .. } | Command::Token { .. }) {
        log_to_stderr(&settings);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { service, demo } => serve(settings, kinds(&service)?, demo).await,
            Command::Migrate { service } => {
                for kind in kinds(&service)? {
                    crate::suite::migrate_service(kind, &settings).await?;
                    println!("{kind}: migrated");
                }
                Ok(())
            }
            Command::Token { role, kommun, unit, subject, ttl_minutes } => {
                let role = Role::parse(&role).ok_or_else(|| anyhow::anyhow!("unknown role {role:?}"))?;
                let kommun = Kommun::parse(&kommun).ok_or_else(|| anyhow::anyhow!("kommun must be 4 digits"))?;
                let token = TokenSigner::dev(&with_suite_dev_key(&settings)?)?
                    .sign(&Caller { subject, role, kommun, unit }, Duration::from_secs(ttl_minutes * 60))?;
                println!("{token}");
                Ok(())
            }
            Command::Seed => crate::demo::seed(&with_suite_dev_key(&settings)?).await,
            Command::Loadgen { concurrency, connections, duration_secs, mix, database_url, households } => {
                crate::loadgen::run(crate::loadgen::LoadOptions {
                    concurrency,
                    connections,
                    duration: Duration::from_secs(duration_secs),
                    mix,
                    database_url,
                    households,
                })
                .await
            }
            Command::Gallring { dry_run, today } => gallring(&settings, dry_run, today).await,
            Command::Deadletters { service, action } => deadletters(&settings, &service, &action).await,
            Command::Report { kommun, month, out, rapport_url } => {
                report(&settings, &kommun, &month, &out, rapport_url).await
            }
            Command::Audit { action: AuditAction::Verify { service, kommun } } => {
                audit_verify(&settings, kinds(&service)?, kommun.as_deref()).await
            }
            Command::ExportSocialstyrelsen { kommun, month, out } => {
                export_socialstyrelsen(&settings, &kommun, &month, &out).await
            }
        }
    })
}

async fn report(
    settings: &Settings,
    kommun: &str,
    month: &str,
    out: &std::path::Path,
    rapport_url: Option<String>,
) -> anyhow::Result<()> {
    use trappan_api::rapport::v1::{GetManagementReportRequest, rapport_service_client::RapportServiceClient};
    let kommun = Kommun::parse(kommun).ok_or_else(|| anyhow::anyhow!("kommun must be 4 digits"))?;
    let month = trappan_rapport::domain::YearMonth::parse(month)
        .ok_or_else(|| anyhow::anyhow!("month must be YYYY-MM, for example 2020-08"))?;
    let url = rapport_url.unwrap_or_else(|| crate::suite::local_url(settings, ServiceKind::Rapport));
    let caller = Caller { subject: "trappan-report".into(), role: Role::Enhetschef, kommun, unit: String::new() };
    let token = TokenSigner::dev(&with_suite_dev_key(settings)?)?.sign(&caller, Duration::from_secs(300))?;
    let mut request = tonic::Request::new(GetManagementReportRequest {
        month: Some(trappan_api::common::v1::YearMonth { year: month.year, month: i32::try_from(month.month)? }),
    });
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse()?);
    let html = RapportServiceClient::connect(url).await?.get_management_report(request).await?.into_inner().html;
    std::fs::write(out, html)?;
    println!("wrote {}", out.display());
    Ok(())
}

async fn gallring(settings: &Settings, dry_run: bool, today: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    let today = today.unwrap_or_else(trappan_platform::clock::today);
    let db = trappan_platform::store::connect(&settings.database_url(ServiceKind::Bistand)).await?;
    let progress = Progress::uncounted("gallring");
    let report = trappan_bistand::store::gallring::run_gallring(&db, today, dry_run).await?;
    progress.finish();
    let prefix = if dry_run { "dry run: " } else { "" };
    println!("{prefix}households examined: {}", report.households_examined);
    println!("{prefix}members due: {}", report.members_due);
    println!("{prefix}members kept for research: {}", report.members_kept_for_research);
    println!("{prefix}households removed: {}", report.households_removed);
    Ok(())
}

async fn deadletters(settings: &Settings, service: &str, action: &DeadLetterAction) -> anyhow::Result<()> {
    use trappan_platform::delivery;
    let kind = ServiceKind::parse(service)
        .ok_or_else(|| anyhow::anyhow!("unknown service {service:?}: use bistand, insatser, ungsam or rapport"))?;
    let db = trappan_platform::store::connect(&settings.database_url(kind)).await?;
    match action {
        DeadLetterAction::List => {
            println!("id\tkommun\ttarget\tkind\tattempts\tdead_at\tlast_error");
            for dead in delivery::list_dead_letters(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    dead.id,
                    dead.kommun,
                    dead.target,
                    dead.kind,
                    dead.attempts,
                    dead.dead_at.map(|at| at.to_rfc3339()).unwrap_or_default(),
                    dead.last_error.unwrap_or_default()
                );
            }
            if kind == ServiceKind::Rapport {
                println!();
                println!("producer\tkommun\tsequence\ttype_url\tdead_at\treason");
                for dead in trappan_rapport::store::list_dead_letters(&db).await? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        dead.producer,
                        dead.kommun,
                        dead.sequence,
                        dead.type_url,
                        dead.dead_at.to_rfc3339(),
                        dead.reason
                    );
                }
            }
        }
        DeadLetterAction::Retry(selection) => {
            let retried = delivery::retry_dead_letters(&db, selection.which()).await?;
            println!("{kind}: {retried} dead letters back in the queue");
        }
        DeadLetterAction::Discard(selection) => {
            let discarded = delivery::discard_dead_letters(&db, selection.which()).await?;
            println!("{kind}: {discarded} dead letters discarded");
        }
    }
    if kind == ServiceKind::Rapport && !matches!(action, DeadLetterAction::List) {
        println!(
            "rapport: its feed dead letters are kept as a record and neither retried nor discarded: the cursor has \
             moved past them, so the producer must correct the record to emit a new event"
        );
    }
    Ok(())
}

async fn audit_verify(settings: &Settings, kinds: Vec<ServiceKind>, kommun: Option<&str>) -> anyhow::Result<()> {
    let kommun = kommun
        .map(|code| Kommun::parse(code).ok_or_else(|| anyhow::anyhow!("kommun must be a 4-digit kommunkod")))
        .transpose()?;
    let mut broken = Vec::new();
    for kind in kinds {
        let db = trappan_platform::store::connect(&settings.database_url(kind)).await?;
        let verification = trappan_platform::audit::verify(&db, kommun.as_ref()).await?;
        db.close().await?;
        for chain in &verification.chains {
            match &chain.broken {
                None => println!("{kind} {}: ok, {} entries", chain.kommun, chain.entries),
                Some(link) => {
                    println!(
                        "{kind} {}: BROKEN at entry {} ({}); {} entries verify before it",
                        chain.kommun, link.seq, link.reason, chain.entries
                    );
                    broken.push(format!("{kind} {} at {}", chain.kommun, link.seq));
                }
            }
        }
        if verification.chains.is_empty() {
            println!("{kind}: no audit entries");
        }
    }
    if !broken.is_empty() {
        anyhow::bail!("audit chain broken: {}; see docs/security.md, \"When verify fails\"", broken.join(", "));
    }
    Ok(())
}

async fn export_socialstyrelsen(settings: &Settings, kommun: &str, month: &str, out: &Path) -> anyhow::Result<()> {
    use trappan_bistand::store::socialstyrelsen::{JOB, export_month};
    let kommun = Kommun::parse(kommun).ok_or_else(|| anyhow::anyhow!("kommun must be a 4-digit kommunkod"))?;
    let month: YearMonth = month.parse().map_err(|_| anyhow::anyhow!("month must be YYYY-MM, e.g. 2020-08"))?;
    let db = trappan_platform::store::connect(&settings.database_url(ServiceKind::Bistand)).await?;
    let context = CallContext::system(kommun.clone(), JOB);
    let progress = Progress::uncounted("Socialstyrelsen export");
    let file = export_month(&db, &context, month).await?;
    progress.finish();
    write_private(out, file.text.as_bytes())?;
    println!(
        "{} {month}: {} households, {} adults, {} kr written to {}",
        kommun.as_str(),
        file.households,
        file.adults,
        file.total_kr,
        out.display()
    );
    Ok(())
}

/// Writes a file that holds personal data, readable and writable by its owner only.
fn write_private(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(())
}

async fn serve(settings: Arc<Settings>, kinds: Vec<ServiceKind>, demo: bool) -> anyhow::Result<()> {
    let name = if kinds.len() == 1 { format!("trappan-{}", kinds[0]) } else { "trappan".to_string() };
    let _telemetry = trappan_platform::telemetry::init(&settings.telemetry, &name)?;
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        trappan_platform::server::termination_signal().await;
        tracing::info!("shutting down: draining in-flight calls");
        let _ = shutdown_tx.send(true);
    });
    if kinds.len() > 1 || demo {
        let settings = settings.clone();
        let kinds = kinds.clone();
        tokio::spawn(async move {
            if !wait_until_serving(&settings, &kinds).await {
                tracing::warn!("the services did not all report SERVING within a minute; see the log above");
                return;
            }
            tracing::info!("Trappan is ready: {}", listening(&settings, &kinds));
            let loaded = demo && {
                let started = std::time::Instant::now();
                match crate::demo::seed(&settings).await {
                    Ok(()) => {
                        let seconds = started.elapsed().as_secs();
                        tracing::info!(seconds, "demo municipality 0767 loaded");
                        true
                    }
                    Err(error) => {
                        tracing::warn!(%error, "the demo municipality could not be loaded");
                        false
                    }
                }
            };
            if loaded && kinds.contains(&ServiceKind::Rapport) {
                demo_steps(&settings);
            } else if kinds.contains(&ServiceKind::Bistand) {
                first_steps(&settings);
            }
        });
    }
    crate::suite::serve_all(&kinds, settings, shutdown_rx).await
}

/// Waits (a minute at most) until every service in `kinds` reports SERVING on its health endpoint.
async fn wait_until_serving(settings: &Settings, kinds: &[ServiceKind]) -> bool {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    for &kind in kinds {
        let url = format!("http://{}:{}", local_host(settings), settings.port(kind));
        loop {
            let channel = tonic::transport::Endpoint::from_shared(url.clone()).map(|e| e.connect_lazy());
            let serving = match channel {
                Ok(channel) => HealthClient::new(channel)
                    .check(HealthCheckRequest { service: String::new() })
                    .await
                    .is_ok_and(|answer| answer.into_inner().status == ServingStatus::Serving as i32),
                Err(_) => false,
            };
            if serving {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    true
}

/// Where a local client reaches the services.
fn local_host(settings: &Settings) -> &str {
    match settings.server.listen_host.as_str() {
        "0.0.0.0" | "::" => "127.0.0.1",
        host => host,
    }
}

fn listening(settings: &Settings, kinds: &[ServiceKind]) -> String {
    let host = local_host(settings);
    kinds.iter().map(|kind| format!("{kind} {host}:{}", settings.port(*kind))).collect::<Vec<_>>().join(", ")
}

/// This binary as it was started, for commands a user can paste.
fn binary() -> String {
    std::env::args().next().unwrap_or_else(|| "trappan".into())
}

/// What to try once the demo is loaded: the management report of August 2020 (98 → 57 households) as an
/// HTML file, a token, and a call to rapport, spelled out for this binary and these ports.
fn demo_steps(settings: &Settings) {
    let binary = binary();
    let rapport = format!("{}:{}", local_host(settings), settings.rapport.port);
    let out = "rapport-0767-2020-08.html";
    tracing::info!("the management report of August 2020: {binary} report --kommun 0767 --month 2020-08 --out {out}");
    tracing::info!("then open {out} (written in the folder the command ran in) in a browser, or ask rapport yourself:");
    tracing::info!("TOKEN=$({binary} token --role enhetschef --kommun 0767)");
    tracing::info!(
        "grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"month\": {{\"year\": 2020, \"month\": 8}}}}' \
         {rapport} trappan.rapport.v1.RapportService/GetBistandReport"
    );
}

/// What to try first: a token and a call, spelled out for this binary and these ports.
fn first_steps(settings: &Settings) {
    let binary = binary();
    let address = format!("{}:{}", local_host(settings), settings.bistand.port);
    tracing::info!("try: TOKEN=$({binary} token --role socialsekreterare --kommun 0767)");
    tracing::info!(
        "then: grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{}}' {address} \
         trappan.bistand.v1.BistandService/ListHouseholds"
    );
}

/// Logs of the commands other than `serve` go to stderr, so their output on stdout stays clean.
fn log_to_stderr(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&settings.telemetry.log_filter));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}

/// The settings with the dev signing key of the running suite. The key lives in the suite's data directory
/// (`.trappan/` in the project folder by default); run from another folder, a relative data directory would
/// point elsewhere, and a key created there would sign tokens the suite refuses. So the key is looked for
/// in this folder and the ones above it, then in the folders above this binary (`target/debug/trappan` lies
/// inside the project), and when it is in none of them the error says where it looked.
fn with_suite_dev_key(settings: &Settings) -> anyhow::Result<Settings> {
    if settings.auth.mode != AuthMode::Dev {
        return Ok(settings.clone());
    }
    let configured = settings.dev_key_file();
    let candidates: Vec<PathBuf> = if configured.is_absolute() {
        vec![configured.clone()]
    } else {
        let here = std::env::current_dir()?;
        let binary = std::env::current_exe().ok().and_then(|exe| exe.parent().map(Path::to_path_buf));
        let mut bases: Vec<&Path> = here.ancestors().collect();
        bases.extend(binary.iter().flat_map(|dir| dir.ancestors()));
        let mut candidates: Vec<PathBuf> = Vec::new();
        for base in bases {
            let candidate = base.join(&configured);
            if !candidates.contains(&candidate) {
                candidates.push(candidate);
            }
        }
        candidates
    };
    match candidates.iter().find(|candidate| candidate.is_file()) {
        Some(found) => {
            let mut settings = settings.clone();
            settings.auth.dev_key_file = Some(found.clone());
            Ok(settings)
        }
        None => {
            let looked: Vec<String> = candidates.iter().map(|c| c.display().to_string()).collect();
            anyhow::bail!(
                "no dev signing key found; looked at {}. The suite creates it when it first starts (`make run` \
                 in the project folder); or point TRAPPAN__DATA_DIR or TRAPPAN__AUTH__DEV_KEY_FILE at it",
                looked.join(", ")
            )
        }
    }
}
