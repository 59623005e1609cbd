//! Local cells: sandboxes that run code with a real interpreter in their own working directory, and
//! emit a lifecycle event at every transition.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use tokio::io::AsyncReadExt;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::events::EventKind;
use crate::ids;
use crate::runtime::{block_on, runtime};

/// The longest a cell may be told to live idle: one day.
const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// The interpreters a cell can run code with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// `python3 -c CODE`.
    Python3,
    /// `node -e CODE`.
    Node,
    /// `bash -c CODE`.
    Bash,
}

impl Template {
    /// Parses a template name: `python3`, `node` or `bash`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "python3" => Ok(Template::Python3),
            "node" => Ok(Template::Node),
            "bash" => Ok(Template::Bash),
            _ => Err(Error::invalid("template", format!("unknown template {name:?}; expected python3, node or bash"))),
        }
    }

    /// The template's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Template::Python3 => "python3",
            Template::Node => "node",
            Template::Bash => "bash",
        }
    }

    fn command(self) -> (&'static str, &'static str) {
        match self {
            Template::Python3 => ("python3", "-c"),
            Template::Node => ("node", "-e"),
            Template::Bash => ("bash", "-c"),
        }
    }
}

/// What a new cell is made of. Every field is optional.
#[derive(Clone, Debug, Default)]
pub struct CellOptions {
    /// `python3` (default), `node` or `bash`.
    pub template: Option<String>,
    /// Idle time after which the cell is killed with reason `timeout`; default [`crate::Config::cell_timeout`].
    pub timeout_ms: Option<f64>,
    /// Free-form JSON object, echoed in `cell.created`.
    pub metadata: Option<Value>,
    /// Environment variables for every `run()`, on top of the process's own.
    pub envs: HashMap<String, String>,
}

/// What a `run()` produced.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Execution {
    /// `exec_` + hex.
    pub execution_id: String,
    /// Everything the code wrote to standard output (UTF-8, invalid bytes replaced).
    pub stdout: String,
    /// Everything the code wrote to standard error.
    pub stderr: String,
    /// The exit code; 128 + the signal for a process killed by one; 124 for a run that timed out.
    pub exit_code: i32,
    /// Wall time from start to exit, in milliseconds.
    pub latency_ms: f64,
    /// Whether the run was stopped at its timeout.
    pub timed_out: bool,
}

/// A snapshot made by `pause()`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Snapshot {
    /// `snap_` + hex.
    pub snapshot_id: String,
}

/// Where a cell is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellState {
    /// Accepting `run()`.
    Running,
    /// Snapshotted; only `resume()` and `kill()` are valid.
    Paused {
        /// The snapshot `resume()` restores.
        snapshot_id: String,
    },
    /// Destroyed; every call but `kill()` is a state error.
    Killed,
}

impl CellState {
    /// `running`, `paused` or `killed`.
    pub fn as_str(&self) -> &'static str {
        match self {
            CellState::Running => "running",
            CellState::Paused { .. } => "paused",
            CellState::Killed => "killed",
        }
    }
}

/// Why a cell was killed, as `cell.killed` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillReason {
    /// `kill()` was called.
    Requested,
    /// The cell was idle past its timeout.
    Timeout,
    /// The process is exiting.
    Shutdown,
}

impl KillReason {
    fn as_str(self) -> &'static str {
        match self {
            KillReason::Requested => "requested",
            KillReason::Timeout => "timeout",
            KillReason::Shutdown => "shutdown",
        }
    }
}

pub(crate) struct CellInner {
    id: String,
    template: Template,
    dir: PathBuf,
    snapshots: PathBuf,
    envs: HashMap<String, String>,
    metadata: Value,
    timeout: Duration,
    created: Instant,
    state: Mutex<CellState>,
    last_active: Mutex<Instant>,
    busy: AtomicUsize,
    engine: Weak<Engine>,
}

/// A handle on a live (or killed) cell. Cloning it gives another handle on the same cell.
#[derive(Clone)]
pub struct Cell {
    inner: Arc<CellInner>,
}

impl std::fmt::Debug for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cell({}, {}, {})", self.inner.id, self.inner.template.as_str(), self.state().as_str())
    }
}

impl Cell {
    pub(crate) fn create(engine: &Arc<Engine>, options: CellOptions) -> Result<Cell> {
        let template = Template::parse(options.template.as_deref().unwrap_or("python3"))?;
        let timeout = match options.timeout_ms {
            None => engine.config().cell_timeout,
            Some(ms) => {
                let t = crate::config::duration_from_ms("timeout_ms", ms)?;
                if t.is_zero() || t > MAX_TIMEOUT {
                    return Err(Error::invalid("timeout_ms", format!("must be between 1 and 86400000 ms, got {ms}")));
                }
                t
            }
        };
        let metadata = match options.metadata {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v,
            Some(_) => return Err(Error::invalid("metadata", "must be an object (a dict in Python), or omitted")),
        };
        for key in options.envs.keys() {
            if key.is_empty() || key.contains('=') || key.contains('\0') {
                return Err(Error::invalid("envs", format!("{key:?} is not a valid variable name")));
            }
        }
        if let Some((key, _)) = options.envs.iter().find(|(_, v)| v.contains('\0')) {
            return Err(Error::invalid("envs", format!("the value of {key:?} contains a NUL byte")));
        }
        let id = ids::new_cell_id();
        let root = &engine.config().cells_dir;
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let inner = Arc::new(CellInner {
            snapshots: root.join(format!("{id}.snapshots")),
            id,
            template,
            dir,
            envs: options.envs,
            metadata,
            timeout,
            created: Instant::now(),
            state: Mutex::new(CellState::Running),
            last_active: Mutex::new(Instant::now()),
            busy: AtomicUsize::new(0),
            engine: Arc::downgrade(engine),
        });
        let cell = Cell { inner };
        engine.emit(
            EventKind::CellCreated,
            &cell.inner.id,
            json!({"template": template.as_str(), "metadata": cell.inner.metadata}),
        );
        runtime().spawn(reap_when_idle(Arc::downgrade(&cell.inner)));
        Ok(cell)
    }

    /// The cell's id (a UUID).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// The template it runs code with.
    pub fn template(&self) -> Template {
        self.inner.template
    }

    /// Its working directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The metadata it was created with.
    pub fn metadata(&self) -> &Value {
        &self.inner.metadata
    }

    /// Where it is in its life.
    pub fn state(&self) -> CellState {
        self.inner.state.lock().clone()
    }

    /// Runs `code` with the template's interpreter in the cell's directory and waits for it, at most
    /// `timeout` (default [`crate::Config::run_timeout`]). Emits `exec.completed` whatever the outcome.
    pub fn run(&self, code: &str, timeout: Option<Duration>) -> Result<Execution> {
        if code.contains('\0') {
            return Err(Error::invalid("code", "must not contain NUL bytes (no interpreter accepts them)"));
        }
        self.expect_running("run")?;
        let engine = self.engine()?;
        let timeout = timeout.unwrap_or(engine.config().run_timeout);
        let inner = &self.inner;
        inner.busy.fetch_add(1, Ordering::AcqRel);
        self.touch();
        let result = block_on(run_child(inner, code, timeout));
        self.touch();
        inner.busy.fetch_sub(1, Ordering::AcqRel);
        let execution = result?;
        engine.emit(
            EventKind::ExecCompleted,
            &inner.id,
            json!({
                "execution_id": execution.execution_id,
                "exit_code": execution.exit_code,
                "latency_ms": execution.latency_ms,
                "timed_out": execution.timed_out,
            }),
        );
        Ok(execution)
    }

    /// Snapshots the working directory and pauses the cell. Emits `cell.paused`.
    pub fn pause(&self) -> Result<Snapshot> {
        let engine = self.engine()?;
        let mut state = self.inner.state.lock();
        if *state != CellState::Running {
            return Err(self.wrong_state("pause", &state));
        }
        let snapshot_id = ids::new_id("snap_");
        let target = self.inner.snapshots.join(&snapshot_id);
        copy_dir(&self.inner.dir, &target)?;
        engine.emit(EventKind::CellPaused, &self.inner.id, json!({ "snapshot_id": snapshot_id }));
        *state = CellState::Paused { snapshot_id: snapshot_id.clone() };
        Ok(Snapshot { snapshot_id })
    }

    /// Restores the working directory from the pause snapshot and resumes the cell. Emits
    /// `cell.resumed`.
    pub fn resume(&self) -> Result<Snapshot> {
        let engine = self.engine()?;
        let mut state = self.inner.state.lock();
        let CellState::Paused { snapshot_id } = state.clone() else {
            return Err(self.wrong_state("resume", &state));
        };
        let source = self.inner.snapshots.join(&snapshot_id);
        let dir = &self.inner.dir;
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(format!("clearing {}", dir.display()), e))?;
        std::fs::rename(&source, dir).map_err(|e| Error::io(format!("restoring {}", source.display()), e))?;
        self.touch();
        engine.emit(EventKind::CellResumed, &self.inner.id, json!({ "snapshot_id": snapshot_id }));
        *state = CellState::Running;
        Ok(Snapshot { snapshot_id })
    }

    /// Destroys the cell and its files. Emits `cell.killed` with reason `requested`; killing a
    /// killed cell does nothing and returns `false`.
    pub fn kill(&self) -> Result<bool> {
        Ok(self.inner.kill(KillReason::Requested))
    }

    fn touch(&self) {
        *self.inner.last_active.lock() = Instant::now();
    }

    fn engine(&self) -> Result<Arc<Engine>> {
        self.inner.engine.upgrade().ok_or_else(|| Error::InvalidState("the engine has shut down".into()))
    }

    fn expect_running(&self, op: &str) -> Result<()> {
        let state = self.inner.state.lock();
        if *state != CellState::Running {
            return Err(self.wrong_state(op, &state));
        }
        Ok(())
    }

    fn wrong_state(&self, op: &str, state: &CellState) -> Error {
        let hint = match state {
            CellState::Running => "it is running; pause() it first",
            CellState::Paused { .. } => "it is paused; resume() it first",
            CellState::Killed => "it was killed; create a new cell",
        };
        Error::InvalidState(format!("cannot {op}() cell {}: {hint}", self.inner.id))
    }

    pub(crate) fn shutdown(&self) -> bool {
        self.inner.kill(KillReason::Shutdown)
    }
}

impl CellInner {
    fn kill(&self, reason: KillReason) -> bool {
        // The state lock is held until the event is recorded, so whoever sees `Killed` also finds
        // `cell.killed` in the history.
        let mut state = self.state.lock();
        if *state == CellState::Killed {
            return false;
        }
        // Best effort: a file the code left open elsewhere must not turn a kill into an error.
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(&self.snapshots);
        if let Some(engine) = self.engine.upgrade() {
            engine.forget_cell(&self.id);
            let uptime_ms = millis(self.created.elapsed());
            engine.emit(EventKind::CellKilled, &self.id, json!({"reason": reason.as_str(), "uptime_ms": uptime_ms}));
        }
        *state = CellState::Killed;
        true
    }
}

/// Kills the cell once it has been idle (not running code, not paused) for its timeout.
async fn reap_when_idle(cell: Weak<CellInner>) {
    loop {
        let due = {
            let Some(c) = cell.upgrade() else { return };
            let idle_since = *c.last_active.lock();
            idle_since + c.timeout
        };
        tokio::time::sleep_until(due.into()).await;
        let Some(c) = cell.upgrade() else { return };
        let state = c.state.lock().clone();
        match state {
            CellState::Killed => return,
            CellState::Paused { .. } => *c.last_active.lock() = Instant::now(),
            CellState::Running if c.busy.load(Ordering::Acquire) > 0 => *c.last_active.lock() = Instant::now(),
            CellState::Running => {
                if *c.last_active.lock() + c.timeout <= Instant::now() {
                    c.kill(KillReason::Timeout);
                    return;
                }
            }
        }
    }
}

async fn run_child(cell: &CellInner, code: &str, timeout: Duration) -> Result<Execution> {
    let (program, flag) = cell.template.command();
    let execution_id = ids::new_id("exec_");
    let started = Instant::now();
    let mut child = tokio::process::Command::new(program)
        .arg(flag)
        .arg(code)
        .current_dir(&cell.dir)
        .envs(&cell.envs)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::io(format!("starting {program} for cell {}", cell.id), e))?;
    let stdout = tokio::spawn(read_all(child.stdout.take()));
    let stderr = tokio::spawn(read_all(child.stderr.take()));
    let (status, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => (Some(status.map_err(|e| Error::io("waiting for the child", e))?), false),
        Err(_) => {
            let _ = child.kill().await;
            (None, true)
        }
    };
    let latency_ms = millis(started.elapsed());
    // A grandchild may still hold the pipes open: give the readers a moment, then take what there is.
    let grace = Duration::from_millis(if timed_out { 100 } else { 2000 });
    let stdout = tokio::time::timeout(grace, stdout).await.ok().and_then(Result::ok).unwrap_or_default();
    let stderr = tokio::time::timeout(grace, stderr).await.ok().and_then(Result::ok).unwrap_or_default();
    let exit_code = match status {
        None => 124,
        Some(s) => s.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + s.signal().unwrap_or(0)
        }),
    };
    Ok(Execution { execution_id, stdout, stderr, exit_code, latency_ms, timed_out })
}

/// Milliseconds to the microsecond: finer digits are noise, and they would lengthen every payload.
fn millis(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

async fn read_all<R: tokio::io::AsyncRead + Unpin>(pipe: Option<R>) -> String {
    let mut bytes = Vec::new();
    if let Some(mut pipe) = pipe {
        let _ = pipe.read_to_end(&mut bytes).await;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    let io = |what: &Path, e| Error::io(format!("snapshotting {}", what.display()), e);
    std::fs::create_dir_all(to).map_err(|e| io(to, e))?;
    for entry in std::fs::read_dir(from).map_err(|e| io(from, e))? {
        let entry = entry.map_err(|e| io(from, e))?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| io(&entry.path(), e))?;
        if kind.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).map_err(|e| io(&entry.path(), e))?;
            std::os::unix::fs::symlink(link, &target).map_err(|e| io(&target, e))?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| io(&entry.path(), e))?;
        }
    }
    Ok(())
}
