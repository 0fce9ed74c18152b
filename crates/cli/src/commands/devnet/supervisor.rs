//! One devnet node as a child process: started, restarted when it dies,
//! stopped with SIGTERM (then SIGKILL) when the devnet stops.

use rustix::process::{Pid, Signal, kill_process};
use std::{
    fs::{self, File, OpenOptions},
    io::{Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    process::Stdio,
    sync::Arc,
    time::Duration,
};
use tokio::{
    process::{Child, Command},
    sync::watch,
};
use tracing::{error, info, warn};

/// How long a node gets to stop after SIGTERM before it is killed: more than the node's
/// own stop timeout, so a clean stop is never cut short.
pub const CHILD_STOP_TIMEOUT: Duration = Duration::from_secs(20);
pub const PID_FILE: &str = "node.pid";

/// How much of the end of a node's log is searched for the error it stopped on.
const LOG_TAIL_BYTES: u64 = 16 * 1024;

/// What [spawn] writes into the log before each start.
const START_MARK: &str = "=== dirchain devnet: start #";
pub const LOG_FILE: &str = "node.log";

/// What every node's supervision shares.
pub struct Options {
    /// The `dirchain` binary the nodes run.
    pub exe: PathBuf,
    /// `None`: a node that dies stays down.
    pub restart_delay: Option<Duration>,
}

/// One node: its name and the files in its directory.
pub struct NodeProcess {
    pub name: String,
    pub config: PathBuf,
    pub log: PathBuf,
    pub pid_file: PathBuf,
}

/// Runs `node` until `stop` turns true, restarting it when it exits (unless restarts
/// are off, in which case this returns when it exits).
pub async fn supervise(node: NodeProcess, options: Arc<Options>, mut stop: watch::Receiver<bool>) {
    let mut start = 0u64;
    loop {
        start += 1;
        match spawn(&node, &options, start) {
            Ok(mut child) => {
                tokio::select! {
                    status = child.wait() => {
                        remove_pid_file(&node);
                        match status {
                            // A node that cannot start says why on its last line: show it, or a
                            // restart loop looks like flakiness.
                            Ok(status) => match last_error(&node.log) {
                                Some(why) => warn!("{} exited unexpectedly ({}): {why} (see {})",
                                    node.name, status, node.log.display()),
                                None => warn!("{} exited unexpectedly ({}); see {}",
                                    node.name, status, node.log.display()),
                            },
                            Err(e) => error!("{}: cannot wait for the process: {e}", node.name),
                        }
                    }
                    _ = stopped(&mut stop) => {
                        terminate(&node.name, &mut child).await;
                        remove_pid_file(&node);
                        return;
                    }
                }
            }
            Err(e) => error!("{}: cannot start the node: {e:#}", node.name),
        }
        let Some(delay) = options.restart_delay else {
            warn!("{} stays down (restarts are off)", node.name);
            return;
        };
        info!("restarting {} in {delay:?}", node.name);
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stopped(&mut stop) => return,
        }
    }
}

/// Resolves once the devnet is stopping (or its stop sender is gone, which means the same).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

fn spawn(node: &NodeProcess, options: &Options, start: u64) -> anyhow::Result<Child> {
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&node.log)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", node.log.display()))?;
    // Marks each start in the log, which every start appends to.
    writeln!(log, "\n{START_MARK}{start} of {} ===", node.name)?;
    let child = Command::new(&options.exe)
        .arg("node")
        .arg("--config")
        .arg(&node.config)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone()?))
        .stderr(Stdio::from(log))
        // Its own process group: a Ctrl-C in the terminal reaches the devnet only, which
        // then stops every node in order.
        .process_group(0)
        // Should the devnet itself fail, no node outlives it.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run {}: {e}", options.exe.display()))?;
    let pid = child.id().expect("a child that was just spawned has a pid");
    write_pid_file(&node.pid_file, pid)?;
    info!("{} started (pid {pid})", node.name);
    Ok(child)
}

/// The `error: ...` line (how `dirchain` reports what it stopped on) the node's last start
/// wrote, if any, from the end of its log.
fn last_error(log: &Path) -> Option<String> {
    let mut file = File::open(log).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(LOG_TAIL_BYTES)))
        .ok()?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail).ok()?;
    String::from_utf8_lossy(&tail)
        .lines()
        .rev()
        .take_while(|line| !line.starts_with(START_MARK))
        .find(|line| line.starts_with("error:"))
        .map(str::to_owned)
}

/// Asks the node to stop, and kills it if it does not in time.
async fn terminate(name: &str, child: &mut Child) {
    let Some(pid) = child.id() else {
        // Already reaped: nothing to stop.
        return;
    };
    let signalled = Pid::from_raw(pid as i32)
        .map(|pid| kill_process(pid, Signal::TERM))
        .is_some_and(|r| r.is_ok());
    if signalled {
        match tokio::time::timeout(CHILD_STOP_TIMEOUT, child.wait()).await {
            Ok(Ok(status)) if status.success() => {
                info!("{name} stopped");
                return;
            }
            Ok(Ok(status)) => {
                warn!("{name} stopped with {}", status);
                return;
            }
            Ok(Err(e)) => warn!("{name}: cannot wait for the process: {e}"),
            Err(_) => warn!("{name} did not stop within {CHILD_STOP_TIMEOUT:?}; killing it"),
        }
    }
    if let Err(e) = child.kill().await {
        warn!("{name}: cannot kill the process: {e}");
    }
}

fn write_pid_file(path: &Path, pid: u32) -> anyhow::Result<()> {
    let mut file =
        File::create(path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    writeln!(file, "{pid}")?;
    Ok(())
}

fn remove_pid_file(node: &NodeProcess) {
    if let Err(e) = fs::remove_file(&node.pid_file)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        warn!("cannot remove {}: {e}", node.pid_file.display());
    }
}

/// Whether the process named in a pid file is still running.
pub fn pid_file_alive(path: &Path) -> Option<u32> {
    let pid: u32 = fs::read_to_string(path).ok()?.trim().parse().ok()?;
    let raw = Pid::from_raw(i32::try_from(pid).ok()?)?;
    rustix::process::test_kill_process(raw).ok().map(|()| pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_a_node_stopped_on_is_read_from_its_last_start_only() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join(LOG_FILE);
        assert_eq!(last_error(&log), None, "no log yet");
        let first = "error: the node did not start: the address is in use";
        fs::write(
            &log,
            format!("\n{START_MARK}1 of node-0 ===\nINFO starting\n{first}\n"),
        )
        .unwrap();
        assert_eq!(last_error(&log).as_deref(), Some(first));
        // A later start that stopped without an error line does not inherit the earlier one.
        let mut file = OpenOptions::new().append(true).open(&log).unwrap();
        write!(file, "\n{START_MARK}2 of node-0 ===\nINFO starting\n").unwrap();
        assert_eq!(last_error(&log), None);
        // Only the end of a long log is read.
        let second = "error: the node did not start: opening the state failed";
        write!(file, "{}\n{second}\n", "INFO filler\n".repeat(10_000)).unwrap();
        assert_eq!(last_error(&log).as_deref(), Some(second));
    }
}
