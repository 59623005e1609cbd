use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use synapse_core::{CellOptions, CellState, Error};

use crate::support::{engine, wait_until};

fn kinds(engine: &synapse_core::Engine, cell_id: &str) -> Vec<String> {
    engine.cell_events(cell_id).iter().map(|e| e.event.as_str().to_string()).collect()
}

#[test]
fn each_template_runs_real_code_in_its_directory_with_its_envs() {
    let engine = engine();
    let envs = HashMap::from([("GREETING".to_string(), "hello".to_string())]);
    for (template, code) in [
        ("python3", "import os; print(os.environ['GREETING'], os.getcwd())"),
        ("node", "console.log(process.env.GREETING, process.cwd())"),
        ("bash", "echo $GREETING $(pwd)"),
    ] {
        let cell = engine
            .create_cell(CellOptions { template: Some(template.into()), envs: envs.clone(), ..Default::default() })
            .unwrap();
        let out = cell.run(code, None).unwrap();
        assert_eq!(out.stdout.trim(), format!("hello {}", cell.dir().display()), "{template}: {out:?}");
        assert_eq!(out.exit_code, 0);
        cell.kill().unwrap();
    }
}

#[test]
fn a_failing_run_reports_its_exit_code_and_stderr() {
    let engine = engine();
    let cell = engine.create_cell(CellOptions::default()).unwrap();
    let out = cell.run("import sys; sys.stderr.write('boom'); sys.exit(3)", None).unwrap();
    assert_eq!((out.exit_code, out.stderr.as_str(), out.timed_out), (3, "boom", false));
    let events = engine.cell_events(cell.id());
    assert_eq!(events.last().unwrap().detail["exit_code"], 3);
}

#[test]
fn a_run_past_its_timeout_completes_as_timed_out() {
    let engine = engine();
    let cell = engine.create_cell(CellOptions { template: Some("bash".into()), ..Default::default() }).unwrap();
    let out = cell.run("echo started; sleep 30", Some(Duration::from_millis(300))).unwrap();
    assert!(out.timed_out);
    assert_eq!(out.exit_code, 124);
    let last = engine.cell_events(cell.id()).last().unwrap().clone();
    assert_eq!(last.event.as_str(), "exec.completed");
    assert_eq!(last.detail["timed_out"], true);
    // The cell is still usable.
    assert_eq!(cell.run("echo again", None).unwrap().stdout, "again\n");
}

#[test]
fn pause_snapshots_and_resume_restores_the_directory() {
    let engine = engine();
    let cell = engine.create_cell(CellOptions { template: Some("bash".into()), ..Default::default() }).unwrap();
    cell.run("echo v1 > state.txt", None).unwrap();
    let snap = cell.pause().unwrap();
    assert!(snap.snapshot_id.starts_with("snap_"));
    assert_eq!(cell.state(), CellState::Paused { snapshot_id: snap.snapshot_id.clone() });
    std::fs::write(cell.dir().join("state.txt"), "tampered").unwrap();
    let resumed = cell.resume().unwrap();
    assert_eq!(resumed.snapshot_id, snap.snapshot_id);
    assert_eq!(cell.run("cat state.txt", None).unwrap().stdout, "v1\n");
    assert_eq!(
        kinds(&engine, cell.id()),
        ["cell.created", "exec.completed", "cell.paused", "cell.resumed", "exec.completed"]
    );
}

#[test]
fn wrong_state_calls_are_state_errors_that_change_nothing() {
    let engine = engine();
    let cell = engine.create_cell(CellOptions::default()).unwrap();
    assert!(matches!(cell.resume(), Err(Error::InvalidState(_))));
    cell.pause().unwrap();
    let err = cell.run("print(1)", None).unwrap_err();
    assert_eq!(err.code(), "invalid_state");
    assert!(err.to_string().contains("resume()"), "{err}");
    assert!(matches!(cell.pause(), Err(Error::InvalidState(_))));
    cell.kill().unwrap();
    assert!(matches!(cell.run("print(1)", None), Err(Error::InvalidState(_))));
    assert!(matches!(cell.resume(), Err(Error::InvalidState(_))));
    assert!(!cell.kill().unwrap(), "a second kill is a no-op");
    assert!(!cell.dir().exists());
    assert_eq!(kinds(&engine, cell.id()), ["cell.created", "cell.paused", "cell.killed"]);
    assert!(matches!(engine.get_cell(cell.id()), Err(Error::NotFound { .. })));
}

#[test]
fn an_idle_cell_is_killed_at_its_timeout() {
    let engine = engine();
    let cell = engine.create_cell(CellOptions { timeout_ms: Some(200.0), ..Default::default() }).unwrap();
    wait_until(|| cell.state() == CellState::Killed, "the idle timeout");
    let last = engine.cell_events(cell.id()).last().unwrap().clone();
    assert_eq!(last.event.as_str(), "cell.killed");
    assert_eq!(last.detail["reason"], "timeout");
}

#[test]
fn shutdown_kills_live_cells() {
    let engine = engine();
    let cell = engine.create_cell(CellOptions::default()).unwrap();
    engine.shutdown();
    assert_eq!(cell.state(), CellState::Killed);
    assert_eq!(engine.cell_events(cell.id()).last().unwrap().detail["reason"], "shutdown");
}

#[test]
fn bad_cell_options_are_rejected() {
    let engine = engine();
    let bad = [
        (CellOptions { template: Some("cobol".into()), ..Default::default() }, "template"),
        (CellOptions { timeout_ms: Some(-1.0), ..Default::default() }, "timeout_ms"),
        (CellOptions { timeout_ms: Some(0.0), ..Default::default() }, "timeout_ms"),
        (CellOptions { metadata: Some(json!("x")), ..Default::default() }, "metadata"),
        (CellOptions { envs: HashMap::from([("A=B".into(), "c".into())]), ..Default::default() }, "envs"),
    ];
    for (options, field) in bad {
        let err = engine.create_cell(options).unwrap_err();
        assert!(matches!(err, Error::InvalidArgument { field: ref f, .. } if f == field), "{err}");
    }
    assert!(engine.global_events(100).unwrap().is_empty());
    assert!(engine.list_cells().is_empty());
}

#[test]
fn shutdown_leaves_no_empty_temporary_folders() {
    let home = std::env::temp_dir().join(format!("synapse-shutdown-test-{}", std::process::id()));
    let engine =
        synapse_core::Engine::new(synapse_core::Config { cells_dir: home.join("cells"), ..Default::default() });
    let cell = engine.create_cell(CellOptions::default()).unwrap();
    assert!(cell.dir().exists());
    engine.shutdown();
    assert!(!home.exists(), "{} should be gone", home.display());
}
