//! The test harness: the whole suite on port 0, each service with a database of its own (SQLite, or a
//! fresh database on the PostgreSQL server of `TRAPPAN_TEST_POSTGRES_URL`), and generated clients.
#![allow(missing_docs)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use trappan_api::bistand::v1::{self as bistand, bistand_service_client::BistandServiceClient};
use trappan_api::common::v1::{Date, PersonIdentityNumber, YearMonth};
use trappan_api::insatser::v1::insatser_service_client::InsatserServiceClient;
use trappan_api::rapport::v1::rapport_service_client::RapportServiceClient;
use trappan_api::ungsam::v1::{self as ungsam, ungsam_service_client::UngsamServiceClient};
use trappan_platform::auth::{Caller, Kommun, Role, TokenSigner, Workload};
use trappan_platform::config::{ServiceKind, Settings};
use trappan_platform::testing::{Backend, IssuedFiles, TestDatabase, TestPki};
use trappan_platform::tls::ReloadingTls;

#[allow(unused_imports)]
pub use trappan_platform::testing::backends;

/// Adds a bearer token to every call.
#[derive(Clone)]
pub struct Bearer(pub Option<String>);

impl tonic::service::Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().expect("ascii"));
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

struct Running {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// The suite under test.
pub struct TestSuite {
    /// The settings every service shares; with TLS each service adds its own certificate ([`Self::settings_of`]).
    pub settings: Arc<Settings>,
    pub addresses: HashMap<ServiceKind, SocketAddr>,
    pub databases: HashMap<ServiceKind, TestDatabase>,
    running: HashMap<ServiceKind, Running>,
    signer: TokenSigner,
    tls: Option<SuiteTls>,
    _data_dir: tempfile::TempDir,
}

/// The certificates of a suite run with mutual TLS, as cert-manager would issue them in a cluster.
pub struct SuiteTls {
    pub pki: TestPki,
    /// Each service's own certificate, naming its workload.
    pub services: HashMap<ServiceKind, IssuedFiles>,
    /// What the harness's clients present: a certificate naming no workload, so they are people, known by
    /// their bearer tokens.
    pub person: ReloadingTls,
}

pub const KOMMUN: &str = "0767";
pub const OTHER_KOMMUN: &str = "0780";

impl TestSuite {
    /// Starts all four services on `backend`.
    pub async fn spawn(backend: Backend) -> TestSuite {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts all four services on `backend`, after `adjust` has changed the settings.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestSuite {
        Self::spawn_configured(backend, false, adjust).await
    }

    /// Starts all four services on `backend` with mutual TLS between them and on every client connection:
    /// each service holds a certificate naming its workload, and the harness's clients connect over TLS.
    pub async fn spawn_with_tls(backend: Backend) -> TestSuite {
        Self::spawn_configured(backend, true, |_| {}).await
    }

    async fn spawn_configured(backend: Backend, with_tls: bool, adjust: impl FnOnce(&mut Settings)) -> TestSuite {
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut settings = Settings { data_dir: data_dir.path().to_path_buf(), ..Settings::default() };
        settings.server.shutdown_grace_secs = 5;
        settings.rapport.kommuner = vec![KOMMUN.into(), OTHER_KOMMUN.into()];
        let mut listeners = HashMap::new();
        let mut addresses = HashMap::new();
        let mut databases = HashMap::new();
        for kind in ServiceKind::ALL {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            addresses.insert(kind, listener.local_addr().expect("addr"));
            listeners.insert(kind, listener);
            databases.insert(kind, TestDatabase::create(backend).await);
        }
        settings.bistand.database_url = Some(databases[&ServiceKind::Bistand].url.clone());
        settings.insatser.database_url = Some(databases[&ServiceKind::Insatser].url.clone());
        settings.ungsam.database_url = Some(databases[&ServiceKind::Ungsam].url.clone());
        settings.rapport.database_url = Some(databases[&ServiceKind::Rapport].url.clone());
        let scheme = if with_tls { "https" } else { "http" };
        settings.peers.bistand_url = format!("{scheme}://{}", addresses[&ServiceKind::Bistand]);
        settings.peers.insatser_url = format!("{scheme}://{}", addresses[&ServiceKind::Insatser]);
        settings.peers.ungsam_url = format!("{scheme}://{}", addresses[&ServiceKind::Ungsam]);
        // Commands that reach rapport through the settings (the demo's unemployment import) find this one.
        settings.rapport.port = addresses[&ServiceKind::Rapport].port();
        adjust(&mut settings);
        let tls = with_tls.then(|| {
            let pki = TestPki::new();
            let services = ServiceKind::ALL.into_iter().map(|kind| (kind, pki.workload(kind.into()))).collect();
            let person = ReloadingTls::load(&pki.server_only().settings()).expect("the clients' certificate");
            SuiteTls { pki, services, person }
        });
        let settings = Arc::new(settings);
        let signer = TokenSigner::dev(&settings).expect("dev signer");
        let mut suite =
            TestSuite { settings, addresses, databases, running: HashMap::new(), signer, tls, _data_dir: data_dir };
        for (kind, listener) in listeners {
            suite.start_on(kind, listener, suite.settings_of(kind));
        }
        for kind in ServiceKind::ALL {
            suite.wait_serving(kind).await;
        }
        suite
    }

    /// The settings `kind` runs with: the shared ones, with its own certificate when the suite uses TLS.
    pub fn settings_of(&self, kind: ServiceKind) -> Arc<Settings> {
        match &self.tls {
            None => self.settings.clone(),
            Some(tls) => Arc::new(Settings { tls: tls.services[&kind].settings(), ..(*self.settings).clone() }),
        }
    }

    /// The certificates, when the suite runs with TLS.
    pub fn tls(&self) -> Option<&SuiteTls> {
        self.tls.as_ref()
    }

    fn start_on(&mut self, kind: ServiceKind, listener: TcpListener, settings: Arc<Settings>) {
        let (shutdown, receiver) = watch::channel(false);
        let task = tokio::spawn(trappan::suite::serve_service(kind, settings, listener, receiver));
        self.running.insert(kind, Running { shutdown, task });
    }

    /// Stops one service and waits until it has drained.
    pub async fn stop(&mut self, kind: ServiceKind) {
        if let Some(running) = self.running.remove(&kind) {
            running.shutdown.send(true).expect("running");
            running.task.await.expect("join").expect("clean stop");
        }
    }

    /// Starts a stopped service again on its old port.
    pub async fn restart(&mut self, kind: ServiceKind) {
        let listener = TcpListener::bind(self.addresses[&kind]).await.expect("rebind the same port");
        self.start_on(kind, listener, self.settings_of(kind));
        self.wait_serving(kind).await;
    }

    /// Stops `kind` and starts it again on its old port with `adjust` applied to its settings (until the
    /// next [`Self::restart`], which goes back to the suite's settings).
    pub async fn restart_with(&mut self, kind: ServiceKind, adjust: impl FnOnce(&mut Settings)) {
        self.stop(kind).await;
        let mut settings = (*self.settings_of(kind)).clone();
        adjust(&mut settings);
        let listener = TcpListener::bind(self.addresses[&kind]).await.expect("rebind the same port");
        self.start_on(kind, listener, Arc::new(settings));
        self.wait_serving(kind).await;
    }

    /// Waits until the service's health says SERVING.
    pub async fn wait_serving(&self, kind: ServiceKind) {
        let health = tonic_health::pb::health_client::HealthClient::new(self.channel(kind));
        eventually_within(&format!("{kind} to report SERVING"), Duration::from_secs(10), || {
            let mut health = health.clone();
            async move {
                let answer = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() }).await;
                answer.is_ok_and(|answer| {
                    answer.into_inner().status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
                })
            }
        })
        .await;
    }

    /// A channel to `kind` as a person's client makes it: plaintext, or TLS when the suite uses it.
    pub fn channel(&self, kind: ServiceKind) -> Channel {
        match &self.tls {
            None => Channel::from_shared(format!("http://{}", self.addresses[&kind])).expect("uri").connect_lazy(),
            Some(tls) => {
                let url = format!("https://{}", self.addresses[&kind]);
                trappan_platform::client::lazy_channel(&url, Some(&tls.person)).expect("a TLS channel")
            }
        }
    }

    pub fn token(&self, role: Role, kommun: &str) -> String {
        self.token_for(role, kommun, "tester")
    }

    pub fn token_for(&self, role: Role, kommun: &str, subject: &str) -> String {
        let caller = Caller {
            subject: subject.into(),
            role,
            kommun: Kommun::parse(kommun).expect("kommun"),
            unit: "enheten".into(),
        };
        self.signer.sign(&caller, Duration::from_secs(600)).expect("token")
    }

    /// A dev token for a Trappan workload calling for `kommun`: the harness runs without TLS, where a
    /// service signs its own calls (with TLS its certificate says who it is, `tests/suite/tls.rs`).
    pub fn workload_token(&self, workload: Workload, kommun: &str) -> String {
        let caller = workload.caller(Kommun::parse(kommun).expect("kommun"));
        self.signer.sign(&caller, Duration::from_secs(600)).expect("token")
    }

    fn authed(&self, kind: ServiceKind, token: Option<String>) -> Authed {
        InterceptedService::new(self.channel(kind), Bearer(token))
    }

    pub fn bistand(&self, role: Role, kommun: &str) -> BistandServiceClient<Authed> {
        BistandServiceClient::new(self.authed(ServiceKind::Bistand, Some(self.token(role, kommun))))
    }

    /// bistand as a named case worker (for "only mine" views).
    pub fn bistand_as(&self, role: Role, kommun: &str, subject: &str) -> BistandServiceClient<Authed> {
        BistandServiceClient::new(self.authed(ServiceKind::Bistand, Some(self.token_for(role, kommun, subject))))
    }

    /// bistand as called by another Trappan workload.
    pub fn bistand_from(&self, workload: Workload, kommun: &str) -> BistandServiceClient<Authed> {
        BistandServiceClient::new(self.authed(ServiceKind::Bistand, Some(self.workload_token(workload, kommun))))
    }

    /// insatser as called by another Trappan workload.
    pub fn insatser_from(&self, workload: Workload, kommun: &str) -> InsatserServiceClient<Authed> {
        InsatserServiceClient::new(self.authed(ServiceKind::Insatser, Some(self.workload_token(workload, kommun))))
    }

    /// ungsam as called by another Trappan workload.
    pub fn ungsam_from(&self, workload: Workload, kommun: &str) -> UngsamServiceClient<Authed> {
        UngsamServiceClient::new(self.authed(ServiceKind::Ungsam, Some(self.workload_token(workload, kommun))))
    }

    pub fn insatser(&self, role: Role, kommun: &str) -> InsatserServiceClient<Authed> {
        InsatserServiceClient::new(self.authed(ServiceKind::Insatser, Some(self.token(role, kommun))))
    }

    pub fn ungsam(&self, role: Role, kommun: &str) -> UngsamServiceClient<Authed> {
        UngsamServiceClient::new(self.authed(ServiceKind::Ungsam, Some(self.token(role, kommun))))
    }

    /// An ungsam client for a named caller (for "my young people" views).
    pub fn ungsam_as(&self, role: Role, kommun: &str, subject: &str) -> UngsamServiceClient<Authed> {
        UngsamServiceClient::new(self.authed(ServiceKind::Ungsam, Some(self.token_for(role, kommun, subject))))
    }

    pub fn rapport(&self, role: Role, kommun: &str) -> RapportServiceClient<Authed> {
        RapportServiceClient::new(self.authed(ServiceKind::Rapport, Some(self.token(role, kommun))))
    }

    /// rapport's followers of the producers' feeds, as an analyst of the test municipality sees them.
    pub async fn feed_status(&self) -> Vec<trappan_api::rapport::v1::FeedStatus> {
        self.rapport(Role::Analytiker, KOMMUN)
            .get_feed_status(trappan_api::rapport::v1::GetFeedStatusRequest {})
            .await
            .expect("feed status")
            .into_inner()
            .feeds
    }

    /// A direct connection to a service's database, to check what was (not) stored.
    pub async fn database(&self, kind: ServiceKind) -> sea_orm::DatabaseConnection {
        trappan_platform::store::connect(&self.databases[&kind].url).await.expect("connect")
    }

    /// Waits until `kind` has tried a delivery to another service and failed at least once (the receiver is
    /// down): the attempt is counted on the queued delivery.
    pub async fn wait_for_failed_delivery(&self, kind: ServiceKind) {
        use sea_orm::EntityTrait;
        let db = self.database(kind).await;
        eventually(&format!("{kind} has tried a delivery and failed"), || async {
            let deliveries = trappan_platform::delivery::entity::Entity::find().all(&db).await.expect("deliveries");
            deliveries.iter().any(|d| d.delivered_at.is_none() && d.attempts >= 1)
        })
        .await;
    }

    /// A household's referrals as its socialsekreterare sees them, newest first.
    pub async fn referrals(&self, household_id: &str) -> Vec<bistand::Referral> {
        self.bistand(Role::Socialsekreterare, KOMMUN)
            .list_referrals(bistand::ListReferralsRequest { household_id: household_id.into(), ..Default::default() })
            .await
            .expect("list referrals")
            .into_inner()
            .referrals
    }

    /// Waits until a household's newest referral reaches `state`.
    pub async fn wait_for_referral(&self, household_id: &str, state: bistand::ReferralState) {
        eventually(&format!("the referral is {state:?}"), || async {
            self.referrals(household_id).await.first().is_some_and(|r| r.state == state as i32)
        })
        .await;
    }

    /// A household in bistand whose applicant consented to `scopes` for the labour-market unit, referred to
    /// insatser; returns bistand's referral once insatser has it.
    pub async fn referred(&self, serial: u32, scopes: &[bistand::ConsentScope]) -> bistand::Referral {
        let mut client = self.bistand(Role::Socialsekreterare, KOMMUN);
        let household = applicant_household(&mut client, &number((1990, 6, 14, serial))).await;
        client
            .record_consent(bistand::RecordConsentRequest {
                request_id: new_request_id(),
                consent: Some(bistand::Consent {
                    household_id: household.household_id.clone(),
                    member_id: household.members[0].member_id.clone(),
                    recipient_unit: bistand::RecipientUnit::Arbetsmarknadsenheten as i32,
                    scopes: scopes.iter().map(|s| *s as i32).collect(),
                    given_on: Some(trappan_api::common::v1::Date { year: 2020, month: 3, day: 2 }),
                    ..Default::default()
                }),
            })
            .await
            .expect("consent");
        client
            .create_referral(bistand::CreateReferralRequest {
                request_id: new_request_id(),
                household_id: household.household_id.clone(),
                member_id: household.members[0].member_id.clone(),
                reason: "Behöver stöd mot arbete".into(),
            })
            .await
            .expect("referral");
        self.wait_for_referral(&household.household_id, bistand::ReferralState::Delivered).await;
        self.referrals(&household.household_id).await.remove(0)
    }

    /// A young person of 21 in Ungsam, identified 30 days ago, reached and now in dialogue, who consented to
    /// `scopes`; returns the young person's id.
    pub async fn young_person_in_dialogue(&self, serial: u32, scopes: &[ungsam::ConsentScope]) -> String {
        use chrono::{Datelike, Months};
        let mut client = self.ungsam(Role::Ungdomscoach, KOMMUN);
        let birth = today().with_day(1).expect("first") - Months::new(12 * 21 + 1);
        let identified = today() - chrono::Days::new(30);
        let person = client
            .create_young_person(ungsam::CreateYoungPersonRequest {
                request_id: new_request_id(),
                young_person: Some(ungsam::YoungPerson {
                    person_identity_number: Some(PersonIdentityNumber { value: number_born(birth, serial) }),
                    given_name: "Sam".into(),
                    family_name: "Ungsamsson".into(),
                    source: ungsam::IdentificationSource::Arbetsformedlingen as i32,
                    identified_on: Some(calendar_date(identified)),
                    ..Default::default()
                }),
            })
            .await
            .expect("registered")
            .into_inner()
            .young_person
            .expect("person");
        let id = person.young_person_id;
        client
            .record_contact(ungsam::RecordContactRequest {
                request_id: new_request_id(),
                contact: Some(ungsam::Contact {
                    young_person_id: id.clone(),
                    contacted_on: Some(calendar_date(identified + chrono::Days::new(3))),
                    channel: ungsam::ContactChannel::HomeVisit as i32,
                    made_by: "Coach Två".into(),
                    outcome: ungsam::ContactOutcome::Reached as i32,
                    ..Default::default()
                }),
            })
            .await
            .expect("contact");
        client
            .change_status(ungsam::ChangeStatusRequest {
                young_person_id: id.clone(),
                status: ungsam::YoungPersonStatus::InDialogue as i32,
                ..Default::default()
            })
            .await
            .expect("in dialogue");
        for scope in scopes {
            client
                .record_consent(ungsam::RecordConsentRequest {
                    young_person_id: id.clone(),
                    scope: *scope as i32,
                    given_on: None,
                })
                .await
                .expect("consent");
        }
        id
    }

    pub async fn shutdown(mut self) {
        for kind in ServiceKind::ALL {
            self.stop(kind).await;
        }
    }
}

/// Counts rows of `table` (test inspection only).
pub async fn count_rows(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), format!("SELECT COUNT(*) AS n FROM {table}")))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

/// Polls `check` every 50 ms until it holds; fails the test, naming `what`, when 30 s have passed. This is how
/// tests wait for another task: on state they can observe, never on a fixed sleep.
pub async fn eventually<F, Fut>(what: &str, check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    eventually_within(what, Duration::from_secs(30), check).await;
}

/// Like [`eventually`], for what takes longer than usual (a whole demo municipality flowing through a feed).
pub async fn eventually_within<F, Fut>(what: &str, within: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Registers a household of one applicant with identity number `number`, as bistand answers it.
pub async fn applicant_household(client: &mut BistandServiceClient<Authed>, number: &str) -> bistand::Household {
    client
        .create_household(bistand::CreateHouseholdRequest {
            request_id: new_request_id(),
            household: Some(bistand::Household {
                members: vec![member(number, bistand::MemberRole::Applicant)],
                ..Default::default()
            }),
        })
        .await
        .expect("household")
        .into_inner()
        .household
        .expect("household")
}

/// A household member with test names, a member since January 2020.
pub fn member(number: &str, role: bistand::MemberRole) -> bistand::HouseholdMember {
    bistand::HouseholdMember {
        person_identity_number: Some(PersonIdentityNumber { value: number.into() }),
        given_name: "Test".into(),
        family_name: "Testsson".into(),
        role: role as i32,
        member_from: Some(YearMonth { year: 2020, month: 1 }),
        ..Default::default()
    }
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Counts rows of `table` whose `column` holds the identifier `id`, bound as a value, so it matches on
/// both backends (SQLite stores UUIDs as blobs, not text).
pub async fn count_rows_with(db: &sea_orm::DatabaseConnection, table: &str, column: &str, id: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query};
    let id: uuid::Uuid = id.parse().expect("a uuid");
    let query = Query::select()
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .from(Alias::new(table))
        .and_where(Expr::col(Alias::new(column)).eq(id))
        .to_owned();
    let row = db.query_one(&query).await.expect("count").expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

/// Whether `backend` can run here. Without PostgreSQL configured (outside CI only: [`backends`] insists on
/// it in CI) a PostgreSQL case says so and passes.
pub fn configured(backend: Backend) -> bool {
    let configured = backends().contains(&backend);
    if !configured {
        eprintln!("skipped: {backend:?} is not configured here ({})", trappan_platform::testing::POSTGRES_URL_VAR);
    }
    configured
}

/// Runs `test` on a suite of its own on `backend`, and shuts the suite down.
pub async fn run_on<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(TestSuite) -> Fut,
    Fut: std::future::Future<Output = TestSuite>,
{
    if configured(backend) {
        test(TestSuite::spawn(backend).await).await.shutdown().await;
    }
}

/// Runs `test`, which builds its own suites (with adjusted settings, or several), on `backend`.
pub async fn run_backend<F, Fut>(backend: Backend, test: F)
where
    F: FnOnce(Backend) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if configured(backend) {
        test(backend).await;
    }
}

/// Declares each named test as two test cases, `<name>::sqlite` and `<name>::postgres`: a failure on one
/// backend never hides the other's result, and `cargo test sqlite` or `cargo test postgres` picks one backend.
///
/// - `backend_tests!(a, b)`: each is an `async fn(TestSuite) -> TestSuite` given a fresh suite, shut down after.
/// - `backend_tests!(on_backend: a, b)`: each is an `async fn(Backend)` that spawns its own suites.
/// - `backend_tests!(on_backend multi_thread: a)`: the same on tokio's multi-threaded runtime.
macro_rules! backend_tests {
    (on_backend multi_thread: $($name:ident),+ $(,)?) => {
        $crate::common::backend_tests!(@cases [tokio::test(flavor = "multi_thread")] run_backend: $($name),+);
    };
    (on_backend: $($name:ident),+ $(,)?) => {
        $crate::common::backend_tests!(@cases [tokio::test] run_backend: $($name),+);
    };
    (@cases [$test:meta] $runner:ident: $($name:ident),+) => {$(
        mod $name {
            #[$test]
            async fn sqlite() {
                $crate::common::$runner(trappan_platform::testing::Backend::Sqlite, super::$name).await;
            }

            #[$test]
            async fn postgres() {
                $crate::common::$runner(trappan_platform::testing::Backend::Postgres, super::$name).await;
            }
        }
    )+};
    ($($name:ident),+ $(,)?) => {
        $crate::common::backend_tests!(@cases [tokio::test] run_on: $($name),+);
    };
}
pub(crate) use backend_tests;

/// A person of a test scenario: birth (year, month, day) and a serial that tells apart people born the same day.
pub type Person = (i32, u32, u32, u32);

/// The person's personnummer (valid, with a serial no real person is given).
pub fn number((year, month, day, serial): Person) -> String {
    trappan::demo::demo_personnummer(year, month, day, serial)
}

/// The personnummer of someone born on `birth`.
pub fn number_born(birth: chrono::NaiveDate, serial: u32) -> String {
    use chrono::Datelike;
    number((birth.year(), birth.month(), birth.day(), serial))
}

/// Today in the municipality (Europe/Stockholm), as the services date what they record: the machine's own
/// zone (UTC in CI) is a day behind for an hour or two after Stockholm's midnight.
pub fn today() -> chrono::NaiveDate {
    trappan_platform::clock::today()
}

/// A date field of a request.
pub fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

/// A calendar date in the contracts' form.
pub fn calendar_date(day: chrono::NaiveDate) -> Date {
    use chrono::Datelike;
    Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }
}
