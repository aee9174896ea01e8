//! `ocf:tandem:mysql`: a MariaDB/MySQL server.
//!
//! start launches the server binary directly (no `mysqld_safe`), detached in
//! its own session, and returns only when the server answers on its Unix
//! socket. monitor *connects* to the socket and reads the server greeting
//! (MySQL client/server protocol, "Initial Handshake Packet", protocol 10):
//! a pid alone says nothing about a wedged server. stop sends SIGTERM and
//! escalates to SIGKILL when two thirds of the operation timeout have passed.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::ocf::{log, param, ActionSpec, AgentError, AgentResult, Ctx, MetaData, ParamType, Rc};
use crate::Agent;

/// The mysql agent.
pub struct Mysql;

struct Conf {
    binary: String,
    config: Option<String>,
    datadir: String,
    socket: String,
    pid: String,
    user: String,
    log: Option<String>,
    extra: Vec<String>,
    client: String,
    test_user: String,
    test_passwd: Option<String>,
}

const DEFAULT_CONFIG: &str = "/etc/mysql/my.cnf";

fn conf(ctx: &Ctx) -> AgentResult<Conf> {
    let abs = |name: &str, v: &str| -> AgentResult<String> {
        if v.starts_with('/') {
            Ok(v.to_string())
        } else {
            Err(AgentError::Configured(format!(
                "{name}={v} must be an absolute path"
            )))
        }
    };
    let config = match ctx.param("config") {
        Some(c) => Some(abs("config", c)?),
        None if Path::new(DEFAULT_CONFIG).exists() => Some(DEFAULT_CONFIG.to_string()),
        None => None,
    };
    Ok(Conf {
        binary: abs("binary", ctx.param_or("binary", "/usr/sbin/mysqld"))?,
        config,
        datadir: abs("datadir", ctx.param_or("datadir", "/var/lib/mysql"))?,
        socket: abs("socket", ctx.param_or("socket", "/run/mysqld/mysqld.sock"))?,
        pid: abs("pid", ctx.param_or("pid", "/run/mysqld/mysqld.pid"))?,
        user: ctx.param_or("user", "mysql").to_string(),
        log: ctx.param("log").map(|l| abs("log", l)).transpose()?,
        extra: ctx
            .param_or("additional_parameters", "")
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        client: abs(
            "client_binary",
            ctx.param_or("client_binary", "/usr/bin/mysql"),
        )?,
        test_user: ctx.param_or("test_user", "root").to_string(),
        test_passwd: ctx.param("test_passwd").map(str::to_string),
    })
}

/// Connects to `socket` and reads the server greeting; returns the server
/// version it announces.
pub fn ping(socket: &str, timeout: Duration) -> Result<String, String> {
    let mut s = UnixStream::connect(socket).map_err(|e| format!("connect {socket}: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut hdr = [0u8; 4];
    s.read_exact(&mut hdr)
        .map_err(|e| format!("no greeting from {socket}: {e}"))?;
    let len = usize::from(hdr[0]) | usize::from(hdr[1]) << 8 | usize::from(hdr[2]) << 16;
    let mut body = vec![0u8; len.min(1 << 16)];
    s.read_exact(&mut body)
        .map_err(|e| format!("short greeting from {socket}: {e}"))?;
    match body.first() {
        Some(10) => {
            let end = body[1..]
                .iter()
                .position(|&b| b == 0)
                .map_or(body.len(), |p| p + 1);
            Ok(String::from_utf8_lossy(&body[1..end]).into_owned())
        }
        Some(0xff) => Err(format!(
            "server refused the connection: {}",
            String::from_utf8_lossy(body.get(3..).unwrap_or_default())
        )),
        _ => Err(format!("{socket} does not speak the MySQL protocol")),
    }
}

fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

fn read_pid(path: &str) -> Option<i32> {
    std::fs::read_to_string(path)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|p| *p > 1)
}

impl Mysql {
    fn monitor(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        let pid = read_pid(&c.pid).filter(|p| alive(*p));
        // Leave half the operation timeout for the rest of the monitor.
        let wait = (ctx.timeout() / 2).min(Duration::from_secs(5));
        match (pid, ping(&c.socket, wait)) {
            (Some(_), Ok(_)) if ctx.check_level >= 10 => Self::query(c, ctx),
            (Some(_), Ok(_)) => Ok(Rc::Success),
            (None, Err(_)) => Ok(Rc::NotRunning),
            (Some(p), Err(e)) => Err(AgentError::Generic(format!(
                "mysqld (pid {p}) is running but does not answer: {e}"
            ))),
            (None, Ok(v)) => Err(AgentError::Generic(format!(
                "a server ({v}) answers on {} but pid file {} is missing or stale",
                c.socket, c.pid
            ))),
        }
    }

    /// Depth 10: log in as `test_user` with the client and run `SELECT 1`.
    fn query(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        let mut cmd = Command::new(&c.client);
        cmd.args(["--no-defaults", "--batch", "--skip-column-names"])
            .arg(format!("--socket={}", c.socket))
            .arg(format!("--user={}", c.test_user))
            .args(["-e", "SELECT 1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(p) = &c.test_passwd {
            // Through the environment, not argv (visible in ps).
            cmd.env("MYSQL_PWD", p);
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| AgentError::Installed(format!("cannot run {}: {e}", c.client)))?;
        let deadline = Instant::now() + ctx.timeout() / 2;
        loop {
            if child
                .try_wait()
                .map_err(AgentError::io("waiting for the client"))?
                .is_some()
            {
                break;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AgentError::Generic(format!(
                    "SELECT 1 as {} did not complete within {} ms",
                    c.test_user,
                    (ctx.timeout() / 2).as_millis()
                )));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child
            .wait_with_output()
            .map_err(AgentError::io("reading client output"))?;
        if out.status.success() && String::from_utf8_lossy(&out.stdout).trim() == "1" {
            Ok(Rc::Success)
        } else {
            Err(AgentError::Generic(format!(
                "SELECT 1 as {} failed: {}",
                c.test_user,
                String::from_utf8_lossy(&out.stderr).trim()
            )))
        }
    }

    fn start(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        match Self::monitor(c, ctx) {
            Ok(Rc::Success) => return Ok(Rc::Success),
            // A live but wedged server: starting a second one on the same
            // datadir would only fight over its locks.
            Err(e) if read_pid(&c.pid).is_some_and(alive) => return Err(e),
            _ => {}
        }
        Mysql.validate(ctx)?;
        let user = nix::unistd::User::from_name(&c.user).ok().flatten();
        for f in [&c.socket, &c.pid] {
            if let Some(d) = Path::new(f).parent() {
                if !d.exists() {
                    std::fs::create_dir_all(d)
                        .map_err(AgentError::io(format!("creating {}", d.display())))?;
                    if let Some(u) = &user {
                        let _ = nix::unistd::chown(d, Some(u.uid), Some(u.gid));
                    }
                }
            }
        }
        // A stale pid file or socket from a crash would confuse the server.
        let _ = std::fs::remove_file(&c.pid);
        if ping(&c.socket, Duration::from_secs(1)).is_err() {
            let _ = std::fs::remove_file(&c.socket);
        }
        let mut args: Vec<String> = Vec::new();
        if let Some(cfg) = &c.config {
            args.push(format!("--defaults-file={cfg}")); // must come first
        }
        args.push(format!("--datadir={}", c.datadir));
        args.push(format!("--socket={}", c.socket));
        args.push(format!("--pid-file={}", c.pid));
        args.push(format!("--user={}", c.user));
        if let Some(l) = &c.log {
            args.push(format!("--log-error={l}"));
        }
        args.extend(c.extra.iter().cloned());
        let mut cmd = Command::new(&c.binary);
        cmd.args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: setsid is async-signal-safe. The server must leave the
        // executor's process group and session: it outlives this operation.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid()
                    .map(|_| ())
                    .map_err(std::io::Error::from)
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| AgentError::Installed(format!("cannot run {}: {e}", c.binary)))?;
        let budget = ctx
            .timeout()
            .saturating_sub(Duration::from_secs(1))
            .max(Duration::from_secs(2));
        let deadline = Instant::now() + budget;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                return Err(AgentError::Generic(format!(
                    "{} exited during startup ({st}){}",
                    c.binary,
                    c.log
                        .as_ref()
                        .map(|l| format!("; see {l}"))
                        .unwrap_or_default()
                )));
            }
            if let Ok(v) = ping(&c.socket, Duration::from_secs(1)) {
                if read_pid(&c.pid).is_some() {
                    log(
                        "INFO",
                        &format!("MySQL/MariaDB {v} started (pid {})", child.id()),
                    );
                    return Ok(Rc::Success);
                }
            }
            if Instant::now() >= deadline {
                return Err(AgentError::Generic(format!(
                    "server did not answer on {} within {} ms",
                    c.socket,
                    budget.as_millis()
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn stop(c: &Conf, ctx: &Ctx) -> AgentResult<Rc> {
        use nix::sys::signal::{kill, Signal};
        let Some(pid) = read_pid(&c.pid).filter(|p| alive(*p)) else {
            // Claiming "stopped" while a server still answers would let the
            // cluster start a second one on the same data.
            if let Ok(v) = ping(&c.socket, Duration::from_secs(1)) {
                return Err(AgentError::Generic(format!(
                    "a server ({v}) answers on {} but pid file {} is missing or stale: cannot stop it",
                    c.socket, c.pid
                )));
            }
            let _ = std::fs::remove_file(&c.pid);
            return Ok(Rc::Success);
        };
        let p = nix::unistd::Pid::from_raw(pid);
        let start = Instant::now();
        let term_budget = ctx.timeout() * 2 / 3;
        let _ = kill(p, Signal::SIGTERM);
        while alive(pid) && start.elapsed() < term_budget {
            std::thread::sleep(Duration::from_millis(100));
        }
        if alive(pid) {
            log(
                "WARNING",
                &format!(
                    "mysqld (pid {pid}) ignored SIGTERM for {} ms; sending SIGKILL",
                    term_budget.as_millis()
                ),
            );
            let _ = kill(p, Signal::SIGKILL);
            while alive(pid) && start.elapsed() < ctx.timeout() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if alive(pid) {
            return Err(AgentError::Generic(format!(
                "mysqld (pid {pid}) survived SIGKILL"
            )));
        }
        let _ = std::fs::remove_file(&c.pid);
        if ping(&c.socket, Duration::from_millis(200)).is_err() {
            let _ = std::fs::remove_file(&c.socket);
        }
        log("INFO", "MySQL/MariaDB stopped");
        Ok(Rc::Success)
    }
}

impl Agent for Mysql {
    fn metadata(&self) -> MetaData {
        use ParamType::*;
        MetaData {
            name: "mysql",
            short: "Manages a MariaDB/MySQL server",
            long: "Starts a MariaDB or MySQL server binary directly, waits until it accepts connections \
on its Unix socket, monitors it by connecting and reading the server greeting, and stops it with \
SIGTERM, escalating to SIGKILL after two thirds of the stop timeout. The data directory must \
already be initialised (mariadb-install-db)."
                .into(),
            params: vec![
                param("binary", String, "Server binary", "Path of the server executable (mariadbd or mysqld).")
                    .default("/usr/sbin/mysqld"),
                param("config", String, "Configuration file",
                    "Option file passed as --defaults-file. Default: /etc/mysql/my.cnf if it exists, \
else the server's built-in search path.").default(DEFAULT_CONFIG),
                param("datadir", String, "Data directory", "Directory holding the databases (--datadir).")
                    .default("/var/lib/mysql"),
                param("socket", String, "Unix socket", "Socket the server listens on (--socket); monitor connects to it.")
                    .unique()
                    .default("/run/mysqld/mysqld.sock"),
                param("pid", String, "PID file", "File the server writes its pid to (--pid-file).")
                    .unique()
                    .default("/run/mysqld/mysqld.pid"),
                param("user", String, "Server user", "System user the server runs as (--user).")
                    .default("mysql"),
                param("log", String, "Error log", "Error log file (--log-error). If unset, the server's configuration decides."),
                param("additional_parameters", String, "Extra server options",
                    "Further command-line options for the server, separated by spaces (e.g. --skip-networking)."),
                param("client_binary", String, "Client binary",
                    "Command-line client used by monitors with OCF_CHECK_LEVEL=10 or more to run a query.")
                    .default("/usr/bin/mysql"),
                param("test_user", String, "Monitor user",
                    "Account the depth-10 monitor logs in as (through the socket) to run SELECT 1.")
                    .default("root"),
                param("test_passwd", String, "Monitor password",
                    "Password of test_user for the depth-10 monitor, passed to the client in MYSQL_PWD. \
Leave unset for socket authentication."),
            ],
            actions: vec![
                ActionSpec::new("start", "120s"),
                ActionSpec::new("stop", "120s"),
                ActionSpec::monitor("30s", "20s", 0, None),
                ActionSpec::monitor("30s", "60s", 10, None),
                ActionSpec::new("meta-data", "5s"),
                ActionSpec::new("validate-all", "5s"),
            ],
        }
    }

    fn validate(&self, ctx: &Ctx) -> AgentResult<()> {
        let c = conf(ctx)?;
        if !crate::is_executable(&c.binary) {
            return Err(AgentError::Installed(format!(
                "server binary {} not found or not executable",
                c.binary
            )));
        }
        if let Some(cfg) = &c.config {
            if std::fs::File::open(cfg).is_err() {
                return Err(AgentError::Installed(format!(
                    "configuration file {cfg} is missing or unreadable"
                )));
            }
        }
        if ctx.check_level >= 10 && !crate::is_executable(&c.client) {
            return Err(AgentError::Installed(format!(
                "client binary {} (needed by depth-10 monitors) not found",
                c.client
            )));
        }
        if !Path::new(&c.datadir).is_dir() {
            return Err(AgentError::Installed(format!(
                "datadir {} does not exist on this node",
                c.datadir
            )));
        }
        if !matches!(nix::unistd::User::from_name(&c.user), Ok(Some(_))) {
            return Err(AgentError::Configured(format!(
                "user {} does not exist",
                c.user
            )));
        }
        Ok(())
    }

    fn action(&self, action: &str, ctx: &Ctx) -> Option<AgentResult<Rc>> {
        let f = match action {
            "start" => Self::start,
            "stop" => Self::stop,
            "monitor" => Self::monitor,
            _ => return None,
        };
        Some(conf(ctx).and_then(|c| f(&c, ctx)))
    }
}
