//! What the unit tests share.

/// Every page of the mini-program (`miniprogram/app.json`: pages and
/// subpackage pages, as `root/page`).
pub fn mini_program_pages() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../miniprogram/app.json");
    let app: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("app.json")).expect("JSON");
    let mut pages: Vec<String> = app["pages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    for sub in app["subpackages"].as_array().into_iter().flatten() {
        let root = sub["root"].as_str().unwrap_or("").trim_end_matches('/');
        for p in sub["pages"].as_array().into_iter().flatten() {
            pages.push(format!("{root}/{}", p.as_str().unwrap_or("")));
        }
    }
    pages
}
