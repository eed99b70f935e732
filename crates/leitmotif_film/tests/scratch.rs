use leitmotif_film::*;
#[test]
fn dump() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/edl");
    for f in std::fs::read_dir(dir).unwrap() {
        let p = f.unwrap().path();
        if p.extension().unwrap() != "edl" {
            continue;
        }
        let rate = if p.to_string_lossy().contains("25") || p.to_string_lossy().contains("mismatch")
        {
            Some(FrameRate::FPS_25)
        } else {
            None
        };
        for lenient in [false, true] {
            match parse_cut_list(&p, &ParseOptions { lenient, rate }) {
                Ok(l) => {
                    println!(
                        "{}: lenient={lenient} {} events {} markers warn={:?} items={}",
                        p.display(),
                        l.events.len(),
                        l.markers.len(),
                        l.warnings,
                        l.track_items("V").len()
                    );
                }
                Err(e) => println!("ERR {e}"),
            }
        }
    }
}
