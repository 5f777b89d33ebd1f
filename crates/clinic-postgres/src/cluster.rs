//! A private PostgreSQL cluster started from the machine's server binaries: the
//! embedded default (no `DATABASE_URL`) and the tests' database server.
//!
//! It listens on a Unix socket only, in a directory of its own. As root it runs as the
//! `postgres` system user, because PostgreSQL refuses to run as root; when that user cannot
//! reach the directory asked for (a clone in root's private home), the cluster lives under
//! `/var/lib/clinic` instead, and a log line says where. It never outlives
//! this process: a shell watchdog reads a pipe whose write end only we hold, and stops
//! the server when that pipe closes, however we exit (even on SIGKILL).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use std::{fs, io, thread};

/// The socket directory is private, so the port only names the socket file.
const PORT: &str = "5432";
const SOCKET: &str = ".s.PGSQL.5432";
/// Unix socket paths are limited to 107 bytes; keep a margin.
const MAX_SOCKET_PATH: usize = 100;
const START_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(25);
/// Where clusters go that the postgres user could not reach where they were asked for:
/// persistent (a temp dir may be cleaned under a running cluster) and reachable by design.
const REACHABLE_ROOT: &str = "/var/lib/clinic";

/// `sh -c WATCHDOG name <log> <postgres> <args>...`: runs postgres in the background and
/// sends it SIGINT (fast shutdown) when stdin reaches EOF. The reader runs beside the
/// `wait` so that the watchdog also exits when postgres dies on its own, which makes a
/// failed start visible at once instead of at the deadline. A non-interactive sh gives
/// background jobs /dev/null as stdin, so the reader gets the pipe as fd 3.
const WATCHDOG: &str = r#"log=$1; shift
exec 3<&0
"$@" </dev/null 3<&- >>"$log" 2>&1 &
pg=$!
{ read -r _ <&3; kill -INT "$pg"; } 2>/dev/null &
reader=$!
wait "$pg"
status=$?
kill "$reader" 2>/dev/null
exit "$status""#;

#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The cluster's own directory: holds `data/` (PGDATA), `run/` (the Unix socket directory) and `postgres.log`.
    pub dir: PathBuf,
    /// false for tests: fsync, synchronous_commit and full_page_writes off, initdb --no-sync.
    pub durable: bool,
    pub max_connections: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL server binaries (initdb, postgres) not found; install them (Debian/Ubuntu: \
         `apt-get install postgresql`, macOS: `brew install postgresql`) or set DATABASE_URL"
    )]
    BinariesNotFound,
    #[error("running as root, but there is no `postgres` system user to run PostgreSQL as (it refuses root)")]
    NoPostgresUser,
    #[error(
        "the postgres user cannot reach {0} (running as root, PostgreSQL runs as that user and needs every \
         parent directory to be traversable); set CLINIC_DATA_DIR to a directory it can reach, e.g. under /tmp or /var/lib"
    )]
    Unreachable(PathBuf),
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("initdb failed for {path}: {stderr}")]
    Initdb { path: PathBuf, stderr: String },
    #[error("PostgreSQL in {path} {reason}; the end of {log}:\n{tail}")]
    Start { path: PathBuf, reason: &'static str, log: PathBuf, tail: String },
    #[error("PostgreSQL in {0} did not stop within 30 s and was stopped with `pg_ctl stop -m immediate`")]
    StopTimedOut(PathBuf),
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ClusterError {
    let path = path.to_owned();
    move |source| ClusterError::Io { action, path, source }
}

#[derive(Debug)]
pub struct LocalCluster {
    dir: PathBuf,
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    /// The postgres user's uid and gid when we are root.
    run_as: Option<(u32, u32)>,
    /// The watchdog, whose stdin is the pipe that keeps it waiting; `None` when attached or stopped.
    server: Option<Child>,
}

impl LocalCluster {
    /// Initialises the cluster on first use (initdb), then starts it and waits until it accepts connections.
    /// If a postmaster is already running on this data directory (e.g. a developer started it with `clinic db` in
    /// another terminal), attach to it instead: then this value does not own it and never stops it.
    pub fn start(options: &ClusterOptions) -> Result<Self, ClusterError> {
        let bin_dir = find_binaries()?;
        let run_as = if running_as_root() { Some(postgres_user()?) } else { None };
        let dir = match run_as {
            Some(user) => reachable_dir(&options.dir, user)?,
            None => options.dir.clone(),
        };
        fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        // Canonical, so that every process names the same cluster (and socket directory) alike.
        let dir = fs::canonicalize(&dir).map_err(io_error("resolve", &dir))?;
        let (data_dir, socket_dir) = (dir.join("data"), socket_dir(&dir));
        let mut cluster = Self { dir, data_dir, socket_dir, bin_dir, run_as, server: None };
        if cluster.is_ready() {
            log::info!("attaching to the PostgreSQL already running in {}", cluster.data_dir.display());
            return Ok(cluster);
        }
        for private in [&cluster.dir, &cluster.socket_dir] {
            fs::create_dir_all(private).map_err(io_error("create", private))?;
            if let Some((uid, gid)) = run_as {
                chown(private, Some(uid), Some(gid)).map_err(io_error("chown", private))?;
            }
        }
        fs::set_permissions(&cluster.socket_dir, fs::Permissions::from_mode(0o700))
            .map_err(io_error("restrict", &cluster.socket_dir))?;
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.initdb(options.durable)?;
        }
        cluster.spawn(options)?;
        // On error, dropping `cluster` stops the watchdog it started.
        cluster.wait_until_ready()?;
        Ok(cluster)
    }

    /// A libpq connection string (keyword=value form, values single-quoted and escaped per libpq rules) for a
    /// database on this cluster, as the `postgres` superuser over the Unix socket.
    pub fn database_url(&self, database: &str) -> String {
        let host = quote(&self.socket_dir.to_string_lossy());
        format!("host={host} port={} user='postgres' dbname={}", quote(PORT), quote(database))
    }

    /// The cluster's directory: the one asked for, or where the postgres user can reach it.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Fast shutdown, waiting for the server to exit; no-op when not owned or already stopped.
    pub fn stop(&mut self) -> Result<(), ClusterError> {
        let Some(mut watchdog) = self.server.take() else {
            return Ok(());
        };
        log::info!("stopping PostgreSQL in {}", self.data_dir.display());
        drop(watchdog.stdin.take()); // EOF: the watchdog sends postgres SIGINT and waits for it
        if wait_for_exit(&mut watchdog, STOP_TIMEOUT) {
            return Ok(());
        }
        log::warn!("PostgreSQL in {} is slow to stop; stopping it immediately", self.data_dir.display());
        let mut pg_ctl = self.command(self.bin_dir.join("pg_ctl"));
        pg_ctl.args(["stop", "-m", "immediate", "-t", "10", "-D"]).arg(&self.data_dir);
        if let Err(e) = pg_ctl.stdout(Stdio::null()).stderr(Stdio::null()).status() {
            log::warn!("cannot run pg_ctl: {e}");
        }
        if !wait_for_exit(&mut watchdog, Duration::from_secs(5)) {
            // Leaves no zombie behind; the server itself is beyond our reach now.
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        Err(ClusterError::StopTimedOut(self.data_dir.clone()))
    }

    /// A child run as the postgres user when we are root, from the cluster directory
    /// (that user may not be able to enter our own working directory, e.g. /root).
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.dir);
        if let Some((uid, gid)) = self.run_as {
            command.uid(uid).gid(gid);
        }
        command
    }

    /// As root, a child that cannot enter `dir` as the postgres user fails to spawn with
    /// EACCES: an ancestor of `dir` is not traversable by that user.
    fn spawn_error(&self, action: &'static str) -> impl FnOnce(io::Error) -> ClusterError + '_ {
        move |source| match source.kind() {
            io::ErrorKind::PermissionDenied if self.run_as.is_some() => {
                ClusterError::Unreachable(self.dir.clone())
            }
            _ => ClusterError::Io { action, path: self.data_dir.clone(), source },
        }
    }

    fn initdb(&self, durable: bool) -> Result<(), ClusterError> {
        log::info!("initialising a PostgreSQL cluster in {}", self.data_dir.display());
        let mut initdb = self.command(self.bin_dir.join("initdb"));
        initdb.arg("-D").arg(&self.data_dir);
        initdb.args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]);
        if !durable {
            initdb.arg("--no-sync");
        }
        let output = initdb.output().map_err(self.spawn_error("run initdb for"))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(ClusterError::Initdb { path: self.data_dir.clone(), stderr })
    }

    fn spawn(&mut self, options: &ClusterOptions) -> Result<(), ClusterError> {
        log::info!("starting PostgreSQL in {}", self.data_dir.display());
        // A list setting: double quotes keep a path with commas or spaces whole.
        let socket_dir = self.socket_dir.to_string_lossy().replace('"', "\"\"");
        let mut sh = self.command("sh");
        sh.args(["-c", WATCHDOG, "clinic-postgres-watchdog"]).arg(self.dir.join("postgres.log"));
        sh.arg(self.bin_dir.join("postgres")).arg("-D").arg(&self.data_dir).args(["-p", PORT]);
        sh.args(["-c", "listen_addresses=", "-c"]).arg(format!("unix_socket_directories=\"{socket_dir}\""));
        sh.arg("-c").arg(format!("max_connections={}", options.max_connections));
        if !options.durable {
            sh.args(["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]);
        }
        // A process group of its own: a Ctrl-C in the terminal reaches us, not the server,
        // and we stop it once our own work is drained.
        let watchdog = sh
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(self.spawn_error("start PostgreSQL in"))?;
        self.server = Some(watchdog);
        Ok(())
    }

    fn wait_until_ready(&mut self) -> Result<(), ClusterError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if self.is_ready() {
                log::info!("PostgreSQL is ready in {}", self.data_dir.display());
                return Ok(());
            }
            let exited = self.server.as_mut().is_none_or(|watchdog| !matches!(watchdog.try_wait(), Ok(None)));
            let reason = if exited {
                "exited while starting"
            } else if Instant::now() > deadline {
                "was not ready within 30 s"
            } else {
                thread::sleep(POLL);
                continue;
            };
            let log = self.dir.join("postgres.log");
            let tail = tail(&log, 20);
            return Err(ClusterError::Start { path: self.data_dir.clone(), reason, log, tail });
        }
    }

    /// A live postmaster whose pid file says `ready` (PG >= 10), with its socket in place.
    fn is_ready(&self) -> bool {
        let Ok(pid_file) = fs::read_to_string(self.data_dir.join("postmaster.pid")) else {
            return false;
        };
        let mut lines = pid_file.lines();
        let alive = lines.next().and_then(|pid| pid.trim().parse().ok()).is_some_and(process_alive);
        let ready = lines.nth(6).is_some_and(|status| status.trim() == "ready");
        alive && ready && self.socket_dir.join(SOCKET).exists()
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            log::warn!("{e}");
        }
    }
}

/// Where the server binaries are: `pg_config --bindir` if it holds `initdb` and `postgres`, else a directory on
/// PATH holding both, else the highest-numbered `/usr/lib/postgresql/*/bin`, else Homebrew's.
pub fn find_binaries() -> Result<PathBuf, ClusterError> {
    let has_server = |dir: &PathBuf| dir.join("initdb").is_file() && dir.join("postgres").is_file();
    let pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim()));
    let path = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>());
    let debian = newest_first(Path::new("/usr/lib/postgresql"), "");
    let homebrew =
        ["/usr/local/opt", "/opt/homebrew/opt"].iter().flat_map(|d| newest_first(Path::new(d), "postgresql"));
    let versioned = debian.into_iter().chain(homebrew).map(|dir| dir.join("bin"));
    pg_config
        .into_iter()
        .chain(path.into_iter().flatten())
        .chain(versioned)
        .find(has_server)
        .ok_or(ClusterError::BinariesNotFound)
}

/// The entries of `root` named `<prefix><version>`, highest version first, compared
/// numerically (9.6 < 15 < 16 < 100); `@` (Homebrew's `postgresql@16`) is ignored.
fn newest_first(root: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<(Vec<u32>, PathBuf)> = fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name();
            let version = name.to_str()?.strip_prefix(prefix)?.trim_start_matches('@');
            Some((version.split('.').map(|part| part.parse().unwrap_or(0)).collect(), entry.path()))
        })
        .collect();
    found.sort_by(|a, b| b.0.cmp(&a.0));
    found.into_iter().map(|(_, dir)| dir).collect()
}

/// `dir` when the postgres user (`user`, as we are root) can reach it; otherwise a directory
/// under [`REACHABLE_ROOT`] named from a stable hash of `dir`, so the next run finds the same
/// data. The user's own directories keep their permissions: we never open them up.
fn reachable_dir(dir: &Path, user: (u32, u32)) -> Result<PathBuf, ClusterError> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(parent).map_err(io_error("create", parent))?;
    // Absolute: a relative path would be looked up from our working directory, skipping its ancestors.
    let parent = fs::canonicalize(parent).map_err(io_error("resolve", parent))?;
    if can_enter(&parent, user) {
        return Ok(dir.to_owned());
    }
    let wanted = parent.join(dir.file_name().unwrap_or(OsStr::new("postgres")));
    let root = Path::new(REACHABLE_ROOT);
    fs::create_dir_all(root).map_err(io_error("create", root))?;
    fs::set_permissions(root, fs::Permissions::from_mode(0o755)).map_err(io_error("open up", root))?;
    let moved = root.join(format!("{:016x}", stable_hash(&wanted)));
    log::warn!(
        "the postgres user cannot reach {} (PostgreSQL refuses root), so the embedded cluster lives in {}",
        wanted.display(),
        moved.display()
    );
    Ok(moved)
}

/// Whether `user` may enter `dir`: a child that changes into it as that user starts.
fn can_enter(dir: &Path, (uid, gid): (u32, u32)) -> bool {
    let probe = Command::new("sh")
        .args(["-c", ":"])
        .current_dir(dir)
        .uid(uid)
        .gid(gid)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    !matches!(probe, Err(e) if e.kind() == io::ErrorKind::PermissionDenied)
}

/// FNV-1a of a path: unlike DefaultHasher, the same in every build and Rust version.
fn stable_hash(path: &Path) -> u64 {
    path.as_os_str().as_bytes().iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// `<dir>/run`, or when the socket path would be too long, a short directory under the
/// temp dir named from a stable hash of `dir`, so that another process finds it too.
fn socket_dir(dir: &Path) -> PathBuf {
    let run = dir.join("run");
    if run.join(SOCKET).as_os_str().len() <= MAX_SOCKET_PATH {
        return run;
    }
    std::env::temp_dir().join(format!("clinic-pg-{:016x}", stable_hash(dir)))
}

/// Whether the effective uid (the second field of `Uid:` in `/proc/self/status`) is 0;
/// without `/proc`, assume not.
pub fn running_as_root() -> bool {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uids = status.lines().find_map(|line| line.strip_prefix("Uid:")).unwrap_or_default();
    uids.split_whitespace().nth(1) == Some("0")
}

/// The `postgres` user's uid and gid, from `/etc/passwd` (`name:x:uid:gid:...`).
fn postgres_user() -> Result<(u32, u32), ClusterError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_error("read", Path::new("/etc/passwd")))?;
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            match fields[..] {
                ["postgres", _, uid, gid, ..] => Some((uid.parse().ok()?, gid.parse().ok()?)),
                _ => None,
            }
        })
        .ok_or(ClusterError::NoPostgresUser)
}

fn process_alive(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        return Path::new("/proc").join(pid.to_string()).exists();
    }
    let kill = Command::new("kill").arg("-0").arg(pid.to_string()).stderr(Stdio::null()).status();
    kill.is_ok_and(|status| status.success())
}

/// Polls `child` until it exits or `timeout` passes; whether it exited.
fn wait_for_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(None) if Instant::now() < deadline => thread::sleep(POLL),
            Ok(None) => return false,
            // An error means there is nothing left to wait for.
            Ok(Some(_)) | Err(_) => return true,
        }
    }
}

/// A libpq keyword value: single-quoted, with `\` and `'` backslash-escaped.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
