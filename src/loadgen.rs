//! `trappan loadgen`: a load generator that measures bistand's calls beside a bare tonic baseline.
//!
//! Absolute throughput on a shared machine drifts 20–50 % between runs, so every figure is printed as a ratio
//! to a baseline measured in the same run, immediately before the phase it is compared with: a bare tonic
//! server (no layers, no store) answering `grpc.health.v1.Health/Check`, the most trivial unary RPC there
//! is, on a socket configured exactly like Trappan's. Both servers run in this process on 127.0.0.1, so the
//! client, the baseline and bistand share the same cores alike.
//!
//! bistand runs in-process on port 0 with its own store: a SQLite file in a temporary directory, or the
//! PostgreSQL database named by `--database-url`. Calls go through the generated clients with a valid token,
//! as a case-worker front end makes them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use tonic::transport::server::TcpIncoming;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, PersonIdentityNumber, YearMonth};
use trappan_platform::auth::{Caller, Kommun, Role, TokenSigner};
use trappan_platform::config::{ServiceKind, Settings};

/// One kind of call the generator makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CallKind {
    /// `Health/Check` on the bare tonic server: the baseline.
    Baseline,
    /// `CalculateNorm` for a family of four: authenticated, pure computation, no store.
    CalculateNorm,
    /// `GetHousehold`: an audited read of personal data.
    GetHousehold,
    /// `ListHouseholds`, first page of 20: an audited list.
    ListHouseholds,
    /// `CreateHousehold`: a write with its audit row and feed event in one transaction.
    CreateHousehold,
}

impl CallKind {
    /// The name used on the command line and in the output.
    pub fn name(self) -> &'static str {
        match self {
            CallKind::Baseline => "baseline",
            CallKind::CalculateNorm => "calculate_norm",
            CallKind::GetHousehold => "get_household",
            CallKind::ListHouseholds => "list_households",
            CallKind::CreateHousehold => "create_household",
        }
    }

    fn parse(name: &str) -> Option<CallKind> {
        [CallKind::CalculateNorm, CallKind::GetHousehold, CallKind::ListHouseholds, CallKind::CreateHousehold]
            .into_iter()
            .find(|kind| kind.name() == name)
    }
}

/// A weighted mix of calls, parsed from `kind=weight,kind=weight`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mix(Vec<(CallKind, u32)>);

impl std::str::FromStr for Mix {
    type Err = String;

    fn from_str(text: &str) -> Result<Mix, String> {
        let mut parts = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let kind = CallKind::parse(name.trim()).ok_or_else(|| {
                format!("unknown call {name:?}: use calculate_norm, get_household, list_households or create_household")
            })?;
            let weight: u32 =
                weight.trim().parse().map_err(|_| format!("the weight of {name} must be a whole number"))?;
            if weight > 0 {
                parts.push((kind, weight));
            }
        }
        if parts.is_empty() {
            return Err("the mix names no call with a weight above zero".into());
        }
        Ok(Mix(parts))
    }
}

impl Mix {
    /// The call a worker makes as its `n`th: the weights spread deterministically over each cycle.
    fn pick(&self, n: u64) -> CallKind {
        let total: u64 = self.0.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut slot = n % total;
        for (kind, weight) in &self.0 {
            if slot < u64::from(*weight) {
                return *kind;
            }
            slot -= u64::from(*weight);
        }
        self.0[0].0
    }

    fn kinds(&self) -> Vec<CallKind> {
        self.0.iter().map(|(kind, _)| *kind).collect()
    }
}

/// What `trappan loadgen` was asked to do.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Calls in flight at once (HTTP/2 streams over `connections` connections).
    pub concurrency: usize,
    /// Connections the streams are spread over.
    pub connections: usize,
    /// How long each measured phase runs.
    pub duration: Duration,
    /// The calls to measure; each is measured alone beside its own baseline, then the whole mix.
    pub mix: Mix,
    /// bistand's store; unset means a SQLite file in a temporary directory.
    pub database_url: Option<String>,
    /// Households created before measuring, for the reads to find.
    pub households: usize,
}

/// The figures of one call kind in one phase.
#[derive(Debug, Default, Clone)]
pub struct KindFigures {
    latencies: Vec<Duration>,
    errors: BTreeMap<String, u64>,
}

impl KindFigures {
    fn percentile(&self, sorted: &[Duration], q: f64) -> Duration {
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted[index.min(sorted.len() - 1)]
    }
}

/// The result of one phase: per call kind, and the wall time it ran.
#[derive(Debug, Default)]
pub struct PhaseResult {
    elapsed: Duration,
    kinds: BTreeMap<CallKind, KindFigures>,
}

impl PhaseResult {
    /// Successful calls per second over the whole phase, all kinds together.
    pub fn throughput(&self) -> f64 {
        let ok: usize = self.kinds.values().map(|k| k.latencies.len()).sum();
        ok as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    fn lines(&self, baseline: f64) -> Vec<String> {
        let mut lines = Vec::new();
        for (kind, figures) in &self.kinds {
            let mut sorted = figures.latencies.clone();
            sorted.sort_unstable();
            let per_second = sorted.len() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON);
            let errors = if figures.errors.is_empty() {
                "-".to_string()
            } else {
                figures.errors.iter().map(|(code, n)| format!("{code}×{n}")).collect::<Vec<_>>().join(" ")
            };
            let ms = |d: Duration| format!("{:.2}", d.as_secs_f64() * 1e3);
            lines.push(format!(
                "{:<17} {:>9} {:>10.0} {:>7.3} {:>8} {:>8} {:>8} {:>8}  {}",
                kind.name(),
                sorted.len(),
                per_second,
                per_second / baseline.max(f64::EPSILON),
                ms(figures.percentile(&sorted, 0.50)),
                ms(figures.percentile(&sorted, 0.90)),
                ms(figures.percentile(&sorted, 0.99)),
                ms(sorted.last().copied().unwrap_or_default()),
                errors
            ));
        }
        lines
    }
}

const KOMMUN: &str = "0767";
const UNIT: &str = "ekonomiskt-bistand";
const HEADER: &str =
    "call                  calls/ok    calls/s   ratio  p50(ms)  p90(ms)  p99(ms)  max(ms)  errors by status";

/// Runs the load generator and prints its report.
pub async fn run(options: LoadOptions) -> anyhow::Result<()> {
    let data_dir = tempfile::tempdir()?;
    let mut settings = Settings { data_dir: data_dir.path().to_path_buf(), ..Settings::default() };
    settings.bistand.database_url = options.database_url.clone();
    settings.bistand.migrate_on_start = true;
    let settings = Arc::new(settings);
    let (shutdown_tx, shutdown) = watch::channel(false);

    let baseline_address = start_baseline(shutdown.clone()).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let bistand_address = listener.local_addr()?;
    let bistand_task =
        tokio::spawn(crate::suite::serve_service(ServiceKind::Bistand, settings.clone(), listener, shutdown.clone()));
    wait_until_serving(bistand_address).await?;

    let kommun = Kommun::parse(KOMMUN).ok_or_else(|| anyhow::anyhow!("the load generator's kommun"))?;
    let caller = Caller { subject: "trappan-loadgen".into(), role: Role::Socialsekreterare, kommun, unit: UNIT.into() };
    let token: MetadataValue<Ascii> =
        format!("Bearer {}", TokenSigner::dev(&settings)?.sign(&caller, Duration::from_secs(3600))?).parse()?;

    let bistand_channels = channels(bistand_address, options.connections).await?;
    let baseline_channels = channels(baseline_address, options.connections).await?;
    let mut generator = Generator {
        token,
        households: Vec::new(),
        // A random start, so that runs against one PostgreSQL database do not reuse identity numbers.
        next_person: std::sync::atomic::AtomicU64::new(u64::from(uuid::Uuid::new_v4().as_u128() as u16) * 1_000),
    };
    generator.households = create_households(&generator, &bistand_channels[0], options.households).await?;
    let generator = Arc::new(generator);

    println!(
        "trappan loadgen: {} calls in flight over {} connection(s), {} s per phase, store: {}",
        options.concurrency,
        options.connections,
        options.duration.as_secs(),
        if options.database_url.is_some() { "PostgreSQL (--database-url)" } else { "SQLite (temporary file)" }
    );
    println!("ratio = calls/s ÷ the bare tonic baseline's calls/s measured just before (baseline ratio = 1.000)");
    println!("{HEADER}");
    let baseline_mix = Mix(vec![(CallKind::Baseline, 1)]);
    let mut phases: Vec<Mix> = options.mix.kinds().into_iter().map(|kind| Mix(vec![(kind, 1)])).collect();
    if phases.len() > 1 {
        phases.push(options.mix.clone());
    }
    for phase in phases {
        let baseline = run_phase(&generator, &baseline_channels, &baseline_mix, &options).await;
        let baseline_rate = baseline.throughput();
        for line in baseline.lines(baseline_rate) {
            println!("{line}");
        }
        let measured = run_phase(&generator, &bistand_channels, &phase, &options).await;
        for line in measured.lines(baseline_rate) {
            println!("{line}");
        }
        if phase.0.len() > 1 {
            println!(
                "{:<17} {:>20.0} {:>7.3}",
                "mix (all kinds)",
                measured.throughput(),
                measured.throughput() / baseline_rate
            );
        }
    }

    let _ = shutdown_tx.send(true);
    bistand_task.await??;
    Ok(())
}

/// The bare tonic baseline: only the health service, on a socket with Nagle off like Trappan's.
async fn start_baseline(shutdown: watch::Receiver<bool>) -> anyhow::Result<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let (_reporter, health) = tonic_health::server::health_reporter();
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let mut shutdown = shutdown;
    tokio::spawn(tonic::transport::Server::builder().add_service(health).serve_with_incoming_shutdown(
        incoming,
        async move {
            while !*shutdown.borrow() {
                if shutdown.changed().await.is_err() {
                    break;
                }
            }
        },
    ));
    Ok(address)
}

async fn wait_until_serving(address: std::net::SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let channel = Channel::from_shared(format!("http://{address}"))?.connect_lazy();
    let mut health = HealthClient::new(channel);
    loop {
        let status = health.check(HealthCheckRequest { service: String::new() }).await;
        if matches!(status, Ok(ref response) if response.get_ref().status == ServingStatus::Serving as i32) {
            return Ok(());
        }
        if Instant::now() > deadline {
            anyhow::bail!("bistand did not report SERVING within 60 s (is the database reachable?)");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn channels(address: std::net::SocketAddr, count: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::new();
    for _ in 0..count.max(1) {
        channels.push(Channel::from_shared(format!("http://{address}"))?.tcp_nodelay(true).connect().await?);
    }
    Ok(channels)
}

/// What every worker shares: the token, the households to read, a source of fresh identity numbers.
struct Generator {
    token: MetadataValue<Ascii>,
    households: Vec<String>,
    next_person: std::sync::atomic::AtomicU64,
}

impl Generator {
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", self.token.clone());
        request
    }

    /// A household of one applicant with an identity number no earlier call used.
    fn new_household(&self) -> bistand::CreateHouseholdRequest {
        let n = self.next_person.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let birth =
            chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("a date") + chrono::Days::new((n / 1000) % 18_000);
        let number = crate::demo::demo_personnummer(
            chrono::Datelike::year(&birth),
            chrono::Datelike::month(&birth),
            chrono::Datelike::day(&birth),
            (n % 1000) as u32,
        );
        bistand::CreateHouseholdRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            household: Some(bistand::Household {
                members: vec![bistand::HouseholdMember {
                    person_identity_number: Some(PersonIdentityNumber { value: number }),
                    given_name: "Last".into(),
                    family_name: "Generator".into(),
                    role: bistand::MemberRole::Applicant as i32,
                    born_abroad: Some(false),
                    member_from: Some(YearMonth { year: 2026, month: 1 }),
                    ..Default::default()
                }],
                ..Default::default()
            }),
        }
    }

    async fn call(&self, kind: CallKind, channel: Channel, n: u64) -> Result<(), tonic::Status> {
        match kind {
            CallKind::Baseline => {
                HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await?;
            }
            CallKind::CalculateNorm => {
                BistandServiceClient::new(channel).calculate_norm(self.request(family_of_four())).await?;
            }
            CallKind::GetHousehold => {
                let household_id = self.households[(n as usize) % self.households.len().max(1)].clone();
                BistandServiceClient::new(channel)
                    .get_household(self.request(bistand::GetHouseholdRequest { household_id }))
                    .await?;
            }
            CallKind::ListHouseholds => {
                BistandServiceClient::new(channel)
                    .list_households(
                        self.request(bistand::ListHouseholdsRequest { page_size: 20, ..Default::default() }),
                    )
                    .await?;
            }
            CallKind::CreateHousehold => {
                BistandServiceClient::new(channel).create_household(self.request(self.new_household())).await?;
            }
        }
        Ok(())
    }
}

/// A family of four in March 2023, the newest year whose riksnorm table ships with bistand.
fn family_of_four() -> bistand::CalculateNormRequest {
    let person = |role: bistand::MemberRole, year: i32| bistand::NormPerson {
        role: role as i32,
        birth_date: Some(Date { year, month: 5, day: 17 }),
        ..Default::default()
    };
    bistand::CalculateNormRequest {
        month: Some(YearMonth { year: 2023, month: 3 }),
        persons: vec![
            person(bistand::MemberRole::Applicant, 1985),
            person(bistand::MemberRole::CoApplicant, 1987),
            person(bistand::MemberRole::Child, 2014),
            person(bistand::MemberRole::Child, 2021),
        ],
    }
}

async fn create_households(generator: &Generator, channel: &Channel, count: usize) -> anyhow::Result<Vec<String>> {
    let mut client = BistandServiceClient::new(channel.clone());
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        let created = client.create_household(generator.request(generator.new_household())).await?.into_inner();
        ids.push(created.household.map(|h| h.household_id).unwrap_or_default());
    }
    Ok(ids)
}

/// Runs `mix` with `options.concurrency` workers for `options.duration` and gathers the figures.
async fn run_phase(generator: &Arc<Generator>, channels: &[Channel], mix: &Mix, options: &LoadOptions) -> PhaseResult {
    let started = Instant::now();
    let until = started + options.duration;
    let concurrency = options.concurrency.max(1);
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let generator = generator.clone();
        let channel = channels[worker % channels.len()].clone();
        let mix = mix.clone();
        workers.push(tokio::spawn(async move {
            let mut figures: BTreeMap<CallKind, KindFigures> = BTreeMap::new();
            let mut n = worker as u64;
            while Instant::now() < until {
                let kind = mix.pick(n);
                let call_started = Instant::now();
                let outcome = generator.call(kind, channel.clone(), n).await;
                let entry = figures.entry(kind).or_default();
                match outcome {
                    Ok(()) => entry.latencies.push(call_started.elapsed()),
                    Err(status) => *entry.errors.entry(format!("{:?}", status.code())).or_default() += 1,
                }
                n += concurrency as u64;
            }
            figures
        }));
    }
    let mut result = PhaseResult::default();
    for worker in workers {
        if let Ok(figures) = worker.await {
            for (kind, figures) in figures {
                let entry = result.kinds.entry(kind).or_default();
                entry.latencies.extend(figures.latencies);
                for (code, count) in figures.errors {
                    *entry.errors.entry(code).or_default() += count;
                }
            }
        }
    }
    result.elapsed = started.elapsed();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mix_parses_and_spreads_its_weights_over_each_cycle() {
        let mix: Mix = "calculate_norm=3, get_household=1".parse().expect("a mix");
        let picks: Vec<CallKind> = (0..8).map(|n| mix.pick(n)).collect();
        let norms = picks.iter().filter(|k| **k == CallKind::CalculateNorm).count();
        assert_eq!(norms, 6, "3 of every 4 calls: {picks:?}");
        assert!("calculate_norm=x".parse::<Mix>().is_err());
        assert!("unknown=1".parse::<Mix>().is_err());
        assert!("get_household=0".parse::<Mix>().is_err());
        assert_eq!("get_household".parse::<Mix>(), Ok(Mix(vec![(CallKind::GetHousehold, 1)])));
    }
}
