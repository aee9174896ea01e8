//! Helpers shared by the cib integration tests.

use std::path::PathBuf;

/// The `shared/` folder beside the workspace, which holds the reference
/// corpora. Panics with a clear message when it is absent: these tests
/// read the corpora at run time and never carry copies.
pub fn shared_dir() -> PathBuf {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = workspace.join("../shared");
    assert!(
        shared.join("conformance/scheduler/xml").is_dir(),
        "the reference corpus is missing: expected {} (the project's ../shared folder) \
         with conformance/scheduler/xml inside; these tests read it at run time",
        shared.display()
    );
    shared
}

/// Reads a file, gunzipping `*.gz`.
#[allow(dead_code)]
pub fn read_maybe_gz(path: &std::path::Path) -> String {
    use std::io::Read;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if path.extension().is_some_and(|e| e == "gz") {
        let mut s = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut s)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        s
    } else {
        String::from_utf8(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }
}

/// The visible scheduler inputs (`conformance/scheduler/xml/*.xml`), sorted.
#[allow(dead_code)]
pub fn scheduler_inputs() -> Vec<PathBuf> {
    let dir = shared_dir().join("conformance/scheduler/xml");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}
