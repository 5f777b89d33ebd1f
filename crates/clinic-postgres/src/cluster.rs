//! A private PostgreSQL cluster started from the machine's server binaries: the
//! embedded default (`cargo run` with no `DATABASE_URL`) and the tests' database.
//!
//! It listens on a Unix socket only, in a directory of its own. When this process is
//! root it runs as the `postgres` system user, because PostgreSQL refuses root. It
//! never outlives this process: a small shell watchdog holds the other end of a pipe
//! from us and stops the server when the pipe closes, however we exit.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};
use std::{fs, io};

use thiserror::Error;

/// The socket directory is private, so the port only names the socket file.
const PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes; keep well under.
const MAX_SOCKET_PATH: usize = 100;
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts the server in the background, then waits for its stdin to close and stops
/// it with a fast shutdown. Arguments: postgres binary, then its own arguments.
const WATCHDOG: &str = r#"log="$1"; shift
"$@" >>"$log" 2>&1 &
pg=$!
read -r _ignored
kill -INT "$pg" 2>/dev/null
wait "$pg""#;

pub struct ClusterOptions {
    /// The cluster's own directory: `data/` (PGDATA), `run/` (socket), `postgres.log`.
    pub dir: PathBuf,
    /// `false` for tests: no fsync, no synchronous commit, no full-page writes.
    pub durable: bool,
    pub max_connections: u32,
}

#[derive(Debug, Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) not found; install them \
         (Debian/Ubuntu: `apt-get install postgresql`, macOS: `brew install postgresql`) or set DATABASE_URL"
    )]
    BinariesNotFound,
    #[error("running as root, PostgreSQL must run as the `postgres` system user, and there is none")]
    NoPostgresUser,
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: PathBuf, source: io::Error },
    #[error(
        "initdb failed in {path}: {output}\n(as root, PostgreSQL runs as the `postgres` user: if it cannot reach \
         that directory, set CLINIC_DATA_DIR to one it can, e.g. under /var/lib or /tmp)"
    )]
    InitdbFailed { path: PathBuf, output: String },
    #[error("PostgreSQL did not start in {path}; its log ends with:\n{log}")]
    StartFailed { path: PathBuf, log: String },
    #[error("PostgreSQL in {0} did not stop in time")]
    StopTimedOut(PathBuf),
}

fn io_error(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ClusterError {
    let path = path.to_owned();
    move |source| ClusterError::Io { what, path, source }
}

pub struct LocalCluster {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    /// The watchdog and the pipe that keeps it waiting; `None` when attached or stopped.
    server: Option<(Child, ChildStdin)>,
}

impl LocalCluster {
    /// Initialises the cluster on first use, starts it and waits until it accepts
    /// connections. If it is already running (`clinic db` in another terminal),
    /// attaches without owning it: then it is never stopped from here.
    pub fn start(options: &ClusterOptions) -> Result<Self, ClusterError> {
        let bin_dir = find_binaries()?;
        let run_as = if running_as_root() { Some(postgres_user()?) } else { None };
        let dir = std::path::absolute(&options.dir).map_err(io_error("cannot resolve", &options.dir))?;
        let data_dir = dir.join("data");
        let socket_dir = socket_dir(&dir);
        let mut cluster = Self { bin_dir, data_dir, socket_dir, run_as, server: None };
        if cluster.is_ready() {
            log::info!("using the PostgreSQL already running in {}", cluster.data_dir.display());
            return Ok(cluster);
        }
        for private in [&dir, &cluster.socket_dir] {
            fs::create_dir_all(private).map_err(io_error("cannot create", private))?;
            if let Some((uid, gid)) = run_as {
                chown(private, Some(uid), Some(gid))
                    .map_err(io_error("cannot hand to the postgres user", private))?;
            }
        }
        fs::set_permissions(&cluster.socket_dir, fs::Permissions::from_mode(0o700))
            .map_err(io_error("cannot restrict", &cluster.socket_dir))?;
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb(&dir, options.durable)?;
        }
        cluster.spawn(&dir, options)?;
        cluster.wait_until_ready(&dir)?;
        Ok(cluster)
    }

    /// A libpq connection string for `database`, as the superuser, over the socket.
    pub fn database_url(&self, database: &str) -> String {
        format!(
            "host={} port={PORT} user=postgres dbname={}",
            quote(&self.socket_dir.to_string_lossy()),
            quote(database)
        )
    }

    pub fn owns_server(&self) -> bool {
        self.server.is_some()
    }

    /// Fast shutdown, waiting for the server to exit; nothing when not ours.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        let Some((mut watchdog, pipe)) = self.server.take() else {
            return Ok(());
        };
        log::info!("stopping PostgreSQL in {}", self.data_dir.display());
        drop(pipe);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = watchdog.try_wait() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = watchdog.wait();
        Err(ClusterError::StopTimedOut(self.data_dir.clone()))
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.bin_dir.join(program));
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    fn initdb(&self, dir: &Path, durable: bool) -> Result<(), ClusterError> {
        log::info!("initialising a PostgreSQL cluster in {}", self.data_dir.display());
        let mut initdb = self.command("initdb");
        initdb
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"])
            .current_dir(dir);
        if !durable {
            initdb.arg("--no-sync");
        }
        let output = initdb.output().map_err(io_error("cannot run initdb for", &self.data_dir))?;
        if output.status.success() {
            return Ok(());
        }
        let output = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(ClusterError::InitdbFailed { path: self.data_dir.clone(), output })
    }

    fn spawn(&mut self, dir: &Path, options: &ClusterOptions) -> Result<(), ClusterError> {
        log::info!("starting PostgreSQL in {}", self.data_dir.display());
        let log = dir.join("postgres.log");
        let mut watchdog = Command::new("sh");
        if let Some((uid, gid)) = self.run_as {
            watchdog.uid(uid).gid(gid);
        }
        watchdog
            .arg("-c")
            .arg(WATCHDOG)
            .arg("clinic-postgres-watchdog")
            .arg(&log)
            .arg(self.bin_dir.join("postgres"))
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-p")
            .arg(PORT.to_string())
            .arg("-c")
            .arg("listen_addresses=")
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.socket_dir.display()))
            .arg("-c")
            .arg(format!("max_connections={}", options.max_connections));
        if !options.durable {
            for setting in ["fsync=off", "synchronous_commit=off", "full_page_writes=off"] {
                watchdog.arg("-c").arg(setting);
            }
        }
        // Our own process group: a Ctrl-C in the terminal reaches us, not the server;
        // we stop it once our own work is drained.
        let mut child = watchdog
            .current_dir(dir)
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io_error("cannot start PostgreSQL in", &self.data_dir))?;
        let pipe = child.stdin.take().ok_or_else(|| ClusterError::StartFailed {
            path: self.data_dir.clone(),
            log: "no pipe to the watchdog".into(),
        })?;
        self.server = Some((child, pipe));
        Ok(())
    }

    fn wait_until_ready(&mut self, dir: &Path) -> Result<(), ClusterError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.is_ready() {
                log::info!("PostgreSQL is ready in {}", self.data_dir.display());
                return Ok(());
            }
            let exited = match &mut self.server {
                Some((child, _)) => matches!(child.try_wait(), Ok(Some(_))),
                None => true,
            };
            if exited || Instant::now() > deadline {
                let _ = self.stop();
                let log = tail(&dir.join("postgres.log"), 20);
                return Err(ClusterError::StartFailed { path: self.data_dir.clone(), log });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A live postmaster says `ready` in its pid file and has made its socket.
    fn is_ready(&self) -> bool {
        let Ok(pid_file) = fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return false;
        };
        let alive =
            pid_file.lines().next().and_then(|pid| pid.trim().parse::<u32>().ok()).is_some_and(process_alive);
        let ready = pid_file.lines().nth(7).is_some_and(|status| status.trim() == "ready");
        alive && ready && self.socket_dir.join(format!(".s.PGSQL.{PORT}")).exists()
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            log::warn!("{e}");
        }
    }
}

/// `pg_config --bindir`, a directory on PATH, or the newest `/usr/lib/postgresql/*/bin`;
/// then Homebrew's usual places.
pub fn find_binaries() -> Result<PathBuf, ClusterError> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let from_pg_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    debian.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    let homebrew = ["/usr/local/opt", "/opt/homebrew/opt"].into_iter().flat_map(|root| {
        fs::read_dir(root)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("postgresql"))
            .map(|e| e.path().join("bin"))
            .collect::<Vec<_>>()
    });
    from_pg_config
        .into_iter()
        .chain(on_path)
        .chain(debian.into_iter().map(|(_, dir)| dir))
        .chain(homebrew)
        .find(|dir| has_server(dir))
        .ok_or(ClusterError::BinariesNotFound)
}

/// `<dir>/run`, or a short directory under the temp dir named after `dir` when the
/// socket path would be too long (so another process finds the same one).
fn socket_dir(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    if run.join(format!(".s.PGSQL.{PORT}")).as_os_str().len() <= MAX_SOCKET_PATH {
        return run;
    }
    let mut hasher = DefaultHasher::new();
    dir.hash(&mut hasher);
    std::env::temp_dir().join(format!("clinic-pg-{:016x}", hasher.finish()))
}

/// The effective uid, from `/proc/self/status` (`Uid: real effective saved fs`).
fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let uids = status.lines().find_map(|l| l.strip_prefix("Uid:"))?.to_owned();
            uids.split_whitespace().nth(1).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// The `postgres` user's uid and gid, from `/etc/passwd`.
fn postgres_user() -> Result<(u32, u32), ClusterError> {
    let passwd =
        fs::read_to_string("/etc/passwd").map_err(io_error("cannot read", Path::new("/etc/passwd")))?;
    passwd
        .lines()
        .find_map(|line| {
            let mut fields = line.split(':');
            (fields.next()? == "postgres").then_some(())?;
            let (_, uid, gid) = (fields.next()?, fields.next()?.parse().ok()?, fields.next()?.parse().ok()?);
            Some((uid, gid))
        })
        .ok_or(ClusterError::NoPostgresUser)
}

fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
}

/// A libpq keyword value, single-quoted with `\` and `'` escaped.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
