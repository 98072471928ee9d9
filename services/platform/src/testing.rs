//! Test support: a fresh database per test, on SQLite or on PostgreSQL.
//!
//! `TRAPPAN_TEST_POSTGRES_URL` (for example `postgres://postgres@127.0.0.1:5432/postgres`) names a
//! server on which each test creates its own database and drops it afterwards. Without it, only SQLite
//! runs — unless `CI` is set, where PostgreSQL is required and its absence fails the test.

use sea_orm::{ConnectionTrait, Database};

/// The store backends a store test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A database of its own on the PostgreSQL server named by `TRAPPAN_TEST_POSTGRES_URL`.
    Postgres,
}

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "TRAPPAN_TEST_POSTGRES_URL";

/// The backends available here: SQLite always, PostgreSQL when configured (required in CI).
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if std::env::var(POSTGRES_URL_VAR).is_ok() {
        backends.push(Backend::Postgres);
    } else if std::env::var("CI").is_ok() {
        panic!("{POSTGRES_URL_VAR} must be set in CI: every store test runs on PostgreSQL too");
    }
    backends
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    /// The URL a service connects to.
    pub url: String,
    backend: Backend,
    name: String,
    admin_url: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Creates an empty database on `backend`.
    pub async fn create(backend: Backend) -> TestDatabase {
        let name = format!("trappan_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join(format!("{name}.db")).display());
                TestDatabase { url, backend, name, admin_url: None, _dir: Some(dir) }
            }
            Backend::Postgres => {
                let admin_url = std::env::var(POSTGRES_URL_VAR).expect("TRAPPAN_TEST_POSTGRES_URL");
                let admin = Database::connect(&admin_url).await.expect("the test PostgreSQL server is reachable");
                admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
                admin.close().await.ok();
                let mut url = url::Url::parse(&admin_url).expect("TRAPPAN_TEST_POSTGRES_URL is a URL");
                url.set_path(&format!("/{name}"));
                TestDatabase { url: url.to_string(), backend, name, admin_url: Some(admin_url), _dir: None }
            }
        }
    }

    /// Which backend this database is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(admin_url) = self.admin_url.clone() else { return };
        let name = self.name.clone();
        // Drop may run inside or outside a runtime; a thread of its own works in both.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}
