//! The real `outreach` binary as a child process, for the crash and soak tests: started with
//! a fixed environment, its stdout and stderr appended to a log file per name, killed with
//! SIGKILL or stopped with SIGTERM.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// How to start `outreach serve` against a database and a Google-compatible server.
pub struct Binary {
    env: Vec<(&'static str, String)>,
    logs: PathBuf,
}

impl Binary {
    /// `google_env` points at the simulator; `database_url` is the app's database. Logs go to
    /// a new directory under the system's temporary directory (`kind` names it), kept only if
    /// the test fails.
    pub fn new(kind: &str, google_env: &[(&'static str, String)], database_url: &str) -> Self {
        let logs = std::env::temp_dir().join(format!("outreach-{kind}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&logs).unwrap();
        let mut env = google_env.to_vec();
        env.extend([
            ("DATABASE_URL", database_url.to_owned()),
            ("LEPTOS_SITE_ADDR", "127.0.0.1:0".into()),
            ("OUTREACH_DATA_DIR", logs.join("data").display().to_string()),
            // A dead instance's accounts are taken over after two seconds.
            ("OUTREACH_SENDER_LEASE_SECS", "2".into()),
            ("OUTREACH_AMBIGUOUS_CHECK_SECS", "0".into()),
            // As fast as the caps allow, so the campaign goes out within the test.
            ("OUTREACH_PACING", "off".into()),
            ("RUST_LOG", "info".into()),
        ]);
        Self { env, logs }
    }

    /// Adds or replaces one variable of the binary's environment.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        self.env.retain(|(k, _)| *k != name);
        self.env.push((name, value.into()));
    }

    pub fn logs(&self) -> &Path {
        &self.logs
    }

    /// Starts one `outreach serve`; its stdout and stderr go to `<logs>/<name>.log`.
    pub fn launch(&self, name: &str) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("{name}.log")))
            .unwrap();
        Command::new(env!("CARGO_BIN_EXE_outreach"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (*k, v)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start the outreach binary")
    }

    /// Every line every instance logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(&self.logs).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "log") {
                let text = std::fs::read(&path).unwrap();
                lines.extend(String::from_utf8_lossy(&text).lines().map(str::to_owned));
            }
        }
        lines
    }
}

impl Drop for Binary {
    /// The logs (and the binary's data directory in them) go when the test passed; a failed
    /// test keeps them (its messages print their path).
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.logs);
        }
    }
}

/// SIGKILL: the process dies at once, mid-whatever it was doing.
pub fn kill(instance: &mut Child) {
    instance.kill().expect("SIGKILL");
    instance.wait().unwrap();
}

pub fn kill_all(instances: &mut [Child]) {
    for child in instances {
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Asks the process to stop, as systemd or Docker would.
pub fn sigterm(instance: &Child) {
    let pid = libc::pid_t::try_from(instance.id()).unwrap();
    // SAFETY: sending a signal to our own child process, which has not been waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
}
