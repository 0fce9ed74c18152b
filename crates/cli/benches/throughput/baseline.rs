//! The baseline a user would otherwise pick: a PostgreSQL server on
//! loopback with an append-only, hash-chained audit table, each row's hash
//! over the previous row's hash and the record, written through one
//! connection per client. The benchmark installs the server (Debian's
//! package) if it is missing, and starts and stops its own instance.

use std::{
    fs,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

/// How long the server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The unprivileged user the server runs as when the benchmark runs as root
/// (PostgreSQL refuses to run as root); Debian's package creates it.
const SERVER_USER: &str = "postgres";

const SCHEMA: &str = "CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    record bytea NOT NULL
);
REVOKE UPDATE, DELETE, TRUNCATE ON audit FROM PUBLIC;";

/// One append: the chain is serialized by a transaction-scoped advisory
/// lock, so each row names the hash of the one before it.
const APPEND: &str = "WITH last AS (
    SELECT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '\\x'::bytea) AS h
)
INSERT INTO audit (prev_hash, hash, record)
SELECT h, sha256(h || $1::bytea), $1::bytea FROM last";
const CHAIN_LOCK: &str = "SELECT pg_advisory_xact_lock(7)";

/// The server's binaries, installing Debian's package if they are missing.
fn binaries() -> PathBuf {
    let find = || {
        let mut found: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|bin| bin.join("postgres").exists())
            .collect();
        found.sort();
        found.pop()
    };
    if let Some(bin) = find() {
        return bin;
    }
    println!("installing Debian's postgresql...");
    let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
    assert!(ok(Command::new("apt-get").args(["update", "-qq"])));
    assert!(ok(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args([
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "postgresql"
        ])));
    find().expect("postgresql installed")
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// `program args` as the server's user.
fn as_server_user(bin: &Path, program: &str, args: &[&str]) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", SERVER_USER, "--"])
            .arg(bin.join(program))
            .args(args);
        c
    } else {
        let mut c = Command::new(bin.join(program));
        c.args(args);
        c
    }
}

/// A running server in its own temporary directory, stopped when dropped.
pub struct Server {
    process: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Server {
    /// A new cluster, durable as a database holding an audit trail should
    /// be (`fsync` and synchronous commit on, the defaults), on loopback.
    pub fn start() -> Self {
        let bin = binaries();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir(&data).unwrap();
        if is_root() {
            let chown = Command::new("chown")
                .args(["-R", SERVER_USER])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(chown.success());
        }
        let data_arg = data.display().to_string();
        let init = as_server_user(
            &bin,
            "initdb",
            &["-D", &data_arg, "-U", "bench", "--auth=trust", "-E", "UTF8"],
        )
        .stdout(Stdio::null())
        .status()
        .unwrap();
        assert!(init.success(), "initdb failed");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let socket_dir = dir.path().display().to_string();
        let port_arg = port.to_string();
        let log = fs::File::create(dir.path().join("server.log")).unwrap();
        let process = as_server_user(
            &bin,
            "postgres",
            &[
                "-D",
                &data_arg,
                "-p",
                &port_arg,
                "-k",
                &socket_dir,
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=200",
            ],
        )
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
        Self {
            process,
            port,
            _dir: dir,
        }
    }

    async fn connect(&self) -> tokio_postgres::Client {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let config = format!(
                "host=127.0.0.1 port={} user=bench dbname=postgres",
                self.port
            );
            match tokio_postgres::connect(&config, tokio_postgres::NoTls).await {
                Ok((client, connection)) => {
                    tokio::spawn(connection);
                    return client;
                }
                Err(error) if Instant::now() < deadline => {
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("PostgreSQL never accepted a connection: {error}"),
            }
        }
    }
}

/// What the baseline did in its window.
pub struct Appended {
    pub rows: usize,
    pub latencies_ms: Vec<f64>,
    pub chain_ok: bool,
}

/// `clients` connections appending `records` round-robin for `window`, at
/// `rate` rows/s in all (0: as fast as they go); then checks the chain.
pub async fn run(
    server: &Server,
    records: Arc<Vec<Vec<u8>>>,
    clients: usize,
    window: Duration,
    rate: u64,
) -> Appended {
    let setup = server.connect().await;
    setup.batch_execute(SCHEMA).await.unwrap();
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let mut client = server.connect().await;
        let (records, next) = (records.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let append = client.prepare(APPEND).await.unwrap();
            let mut latencies = Vec::new();
            loop {
                let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if rate > 0 {
                    let due = started + Duration::from_secs_f64(k as f64 / rate as f64);
                    tokio::time::sleep_until(tokio::time::Instant::from_std(due)).await;
                }
                if started.elapsed() >= window {
                    break;
                }
                let record = &records[k % records.len()];
                let sent = Instant::now();
                let tx = client.transaction().await.unwrap();
                tx.execute(CHAIN_LOCK, &[]).await.unwrap();
                tx.execute(&append, &[record]).await.unwrap();
                tx.commit().await.unwrap();
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut latencies_ms = Vec::new();
    for task in tasks {
        latencies_ms.extend(task.await.unwrap());
    }
    // Every row's hash is over its predecessor's and its record.
    let broken: i64 = setup
        .query_one(
            "SELECT count(*) FROM (
                 SELECT hash, prev_hash, record,
                        lag(hash, 1, '\\x'::bytea) OVER (ORDER BY id) AS before
                 FROM audit) r
             WHERE r.prev_hash <> r.before OR r.hash <> sha256(r.prev_hash || r.record)",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    Appended {
        rows: latencies_ms.len(),
        latencies_ms,
        chain_ok: broken == 0,
    }
}
