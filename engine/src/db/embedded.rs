//! The embedded PostgreSQL cluster: when `DATABASE_URL` is unset the app keeps its own
//! cluster under the data directory — `initdb` on first run, started on a free local port,
//! reused by later runs, stopped when the app exits.
//!
//! PostgreSQL refuses to run as root. When the app runs as root (as on CI machines) the
//! cluster belongs to the unprivileged `postgres` system user and every PostgreSQL command
//! runs through `runuser`.

use std::ffi::CString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Output;

use tokio::process::Command;

const SUPERUSER: &str = "outreach";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "PostgreSQL server programs (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin: \
         install them (Debian/Ubuntu: `apt install postgresql`, Fedora: `dnf install postgresql-server`, \
         macOS: `brew install postgresql@16`) or set DATABASE_URL to an existing database"
    )]
    NoBinaries,
    #[error(
        "PostgreSQL refuses to run as root and there is no `postgres` system user to run it as: \
         create one (`useradd --system postgres`), run Outreach as a normal user, or set DATABASE_URL"
    )]
    NoUnprivilegedUser,
    #[error("{action} failed: {detail}")]
    Command { action: String, detail: String },
    #[error("embedded PostgreSQL: {0}")]
    Io(#[from] std::io::Error),
}

/// The unprivileged account the cluster runs as when we are root.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    cluster_dir: PathBuf,
    log_file: PathBuf,
    run_as: Option<RunAs>,
    password: String,
    port: u16,
    /// False when an already running cluster (e.g. of a crashed earlier run) was reused.
    started_here: bool,
}

impl EmbeddedPostgres {
    /// Starts (or reuses) the cluster kept in `<data_dir>/postgres`.
    pub async fn start(data_dir: &Path) -> Result<Self, EmbeddedError> {
        let bin_dir = locate_binaries().ok_or(EmbeddedError::NoBinaries)?;
        std::fs::create_dir_all(data_dir)?;
        let data_dir = std::fs::canonicalize(data_dir)?;
        let run_as = if is_root() { Some(unprivileged_user()?) } else { None };
        if run_as.is_some() {
            // The cluster's owner must be able to pass through the data directory (which
            // may have been created private, e.g. by mktemp); listing it stays root-only.
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&data_dir)?.permissions().mode();
            std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(mode | 0o011))?;
        }
        let mut cluster = EmbeddedPostgres {
            bin_dir,
            cluster_dir: data_dir.join("postgres"),
            log_file: data_dir.join("postgres.log"),
            run_as,
            password: String::new(),
            port: 0,
            started_here: false,
        };
        cluster.password = cluster.load_or_create_password(&data_dir)?;
        if !cluster.cluster_dir.join("PG_VERSION").exists() {
            cluster.initdb(&data_dir).await?;
        }
        match cluster.running_port() {
            Some(port) if cluster.is_running().await => {
                tracing::info!(port, dir = %cluster.cluster_dir.display(), "reusing the running embedded PostgreSQL");
                cluster.port = port;
            }
            _ => cluster.launch().await?,
        }
        Ok(cluster)
    }

    /// A URL for `database` on this cluster (the password is part of it: treat it as secret).
    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}", self.password, self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Creates `database` unless it exists.
    pub async fn ensure_database(&self, database: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.database_url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(database)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            sqlx::query(&format!("CREATE DATABASE \"{}\"", database.replace('"', "")))
                .execute(&mut conn)
                .await?;
        }
        conn.close().await
    }

    /// Stops the cluster (fast shutdown: open transactions roll back, data is safe).
    pub async fn stop(&self) -> Result<(), EmbeddedError> {
        let dir = self.cluster_dir.to_string_lossy().to_string();
        self.run(
            "stop the embedded PostgreSQL",
            "pg_ctl",
            &["-D", &dir, "-m", "fast", "-w", "stop"],
        )
        .await?;
        Ok(())
    }

    fn load_or_create_password(&self, data_dir: &Path) -> Result<String, EmbeddedError> {
        let path = data_dir.join("postgres.password");
        if path.exists() {
            return Ok(std::fs::read_to_string(&path)?.trim().to_string());
        }
        let password = crate::crypto::random_token("");
        crate::crypto::write_private_file(&path, password.as_bytes())?;
        Ok(password)
    }

    async fn initdb(&self, data_dir: &Path) -> Result<(), EmbeddedError> {
        tracing::info!(dir = %self.cluster_dir.display(), "creating the embedded PostgreSQL cluster (first run)");
        std::fs::create_dir_all(&self.cluster_dir)?;
        // initdb reads the password from a file the cluster's owner can read; it is removed
        // right after.
        let pwfile = data_dir.join("postgres.initpw");
        crate::crypto::write_private_file(&pwfile, self.password.as_bytes())?;
        self.hand_over(&self.cluster_dir)?;
        self.hand_over(&pwfile)?;
        let cluster = self.cluster_dir.to_string_lossy().to_string();
        let pwfile_arg = format!("--pwfile={}", pwfile.display());
        let result = self
            .run(
                "initdb of the embedded PostgreSQL",
                "initdb",
                &[
                    "-D",
                    &cluster,
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    &pwfile_arg,
                    "-E",
                    "UTF8",
                    // C.UTF-8 (in glibc since 2.35): byte-wise sorting like "C", but case
                    // folding for every letter, so the lead search finds "Émile" for "émile".
                    "--locale=C.UTF-8",
                ],
            )
            .await;
        let _ = std::fs::remove_file(&pwfile);
        result?;
        // Listen on loopback TCP only; no unix socket (its default directory is often not
        // writable by the user running us).
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(self.cluster_dir.join("postgresql.conf"))?;
        use std::io::Write;
        writeln!(conf, "\n# Outreach embedded cluster")?;
        writeln!(conf, "listen_addresses = '127.0.0.1'")?;
        writeln!(conf, "unix_socket_directories = ''")?;
        writeln!(conf, "max_connections = 200")?;
        Ok(())
    }

    /// Starts the cluster again after [`stop`](Self::stop), on the same port, so the URLs
    /// handed out before stay valid (tests restart the database under a running app).
    pub async fn start_again(&mut self) -> Result<(), EmbeddedError> {
        self.launch_on(self.port).await
    }

    async fn launch(&mut self) -> Result<(), EmbeddedError> {
        self.launch_on(free_port()?).await
    }

    async fn launch_on(&mut self, port: u16) -> Result<(), EmbeddedError> {
        self.port = port;
        let cluster = self.cluster_dir.to_string_lossy().to_string();
        if !self.log_file.exists() {
            std::fs::write(&self.log_file, b"")?;
        }
        self.hand_over(&self.log_file)?;
        let log = self.log_file.to_string_lossy().to_string();
        let port = format!("-p {}", self.port);
        self.run(
            "start the embedded PostgreSQL",
            "pg_ctl",
            &["-D", &cluster, "-l", &log, "-o", &port, "-w", "-t", "60", "start"],
        )
        .await
        .map_err(|e| match e {
            EmbeddedError::Command { action, detail } => EmbeddedError::Command {
                action,
                detail: format!("{detail} (see {})", self.log_file.display()),
            },
            other => other,
        })?;
        self.started_here = true;
        tracing::info!(port = self.port, dir = %self.cluster_dir.display(), "embedded PostgreSQL started");
        Ok(())
    }

    /// The port recorded by a postmaster that may still be running (4th line of postmaster.pid).
    fn running_port(&self) -> Option<u16> {
        let pid_file = std::fs::read_to_string(self.cluster_dir.join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    async fn is_running(&self) -> bool {
        let cluster = self.cluster_dir.to_string_lossy().to_string();
        self.run("check the embedded PostgreSQL", "pg_ctl", &["-D", &cluster, "status"])
            .await
            .is_ok()
    }

    /// Gives a path to the unprivileged account (no-op when we are not root).
    fn hand_over(&self, path: &Path) -> Result<(), EmbeddedError> {
        let Some(user) = &self.run_as else { return Ok(()) };
        std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid))?;
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                self.hand_over(&entry?.path())?;
            }
        }
        Ok(())
    }

    async fn run(
        &self,
        action: &str,
        program: &str,
        args: &[&str],
    ) -> Result<Output, EmbeddedError> {
        let program = self.bin_dir.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.arg("-u").arg(&user.name).arg("--").arg(&program);
                c
            }
            None => Command::new(&program),
        };
        // A child of ours would otherwise inherit our working directory, which the
        // unprivileged user may not be allowed to enter.
        command.args(args).current_dir("/").kill_on_drop(false);
        let output = command.output().await.map_err(|e| EmbeddedError::Command {
            action: action.to_string(),
            detail: format!("could not run {}: {e}", program.display()),
        })?;
        if output.status.success() {
            Ok(output)
        } else {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let stdout = String::from_utf8_lossy(&output.stdout);
            let detail = format!("{} {}", stderr.trim(), stdout.trim()).trim().to_string();
            Err(EmbeddedError::Command {
                action: action.to_string(),
                detail: hint_for(&detail, &self.cluster_dir),
            })
        }
    }
}

/// Adds a way out to the errors people actually hit.
fn hint_for(detail: &str, cluster_dir: &Path) -> String {
    if detail.contains("Permission denied") {
        format!(
            "{detail} — the `postgres` user must be able to reach {}: make its parent directories \
             searchable (chmod o+x), choose another OUTREACH_DATA_DIR, or set DATABASE_URL",
            cluster_dir.display()
        )
    } else {
        detail.to_string()
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: from PATH, else the newest
/// `/usr/lib/postgresql/<version>/bin`.
pub fn locate_binaries() -> Option<PathBuf> {
    let has_all =
        |dir: &Path| ["initdb", "pg_ctl", "postgres"].iter().all(|p| dir.join(p).is_file());
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let pg_ctl = dir.join("pg_ctl");
            if pg_ctl.is_file() {
                // Debian links pg_ctl into /usr/local/bin or /usr/bin; its siblings live where
                // the link points.
                let real_dir = std::fs::canonicalize(&pg_ctl)
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf));
                if let Some(real) = real_dir.filter(|d| has_all(d)) {
                    return Some(real);
                }
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_all(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn unprivileged_user() -> Result<RunAs, EmbeddedError> {
    let name = CString::new("postgres").expect("no NUL in literal");
    // SAFETY: getpwnam takes a valid C string; the returned record is read immediately,
    // before any other call could overwrite its static storage.
    let record = unsafe { libc::getpwnam(name.as_ptr()) };
    if record.is_null() {
        return Err(EmbeddedError::NoUnprivilegedUser);
    }
    let (uid, gid) = unsafe { ((*record).pw_uid, (*record).pw_gid) };
    Ok(RunAs { name: "postgres".into(), uid, gid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_say_how_to_fix_permission_problems() {
        let hint = hint_for("could not access: Permission denied", Path::new("/x/postgres"));
        assert!(hint.contains("chmod o+x") && hint.contains("DATABASE_URL"));
        assert_eq!(hint_for("other", Path::new("/x")), "other");
    }

    /// A new cluster folds the case of non-ASCII letters in the lead search (`ILIKE` with
    /// the database's collation), as a `C.UTF-8` server does.
    #[tokio::test]
    async fn a_new_cluster_folds_the_case_of_every_letter() {
        use sqlx::Connection;
        let dir = std::env::temp_dir().join(format!("outreach-embedded-{}", std::process::id()));
        let cluster = EmbeddedPostgres::start(&dir).await.expect("start an embedded cluster");
        let mut db = sqlx::PgConnection::connect(&cluster.database_url("postgres"))
            .await
            .expect("connect to the embedded cluster");
        let (folds, lower): (bool, String) = sqlx::query_as(
            r#"SELECT 'ÉMILE ÇA' ILIKE '%émile ça%' COLLATE "default", lower('ÉÇÅ' COLLATE "default")"#,
        )
        .fetch_one(&mut db)
        .await
        .expect("query the embedded cluster");
        drop(db);
        cluster.stop().await.expect("stop the embedded cluster");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(folds, "ILIKE did not fold É/é");
        assert_eq!(lower, "éçå");
    }

    #[test]
    fn missing_binaries_message_says_how_to_install_or_configure() {
        let text = EmbeddedError::NoBinaries.to_string();
        assert!(text.contains("apt install postgresql") && text.contains("DATABASE_URL"));
    }
}
