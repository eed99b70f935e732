//! Semantic checks of a parsed score. Each error names the item and suggests the fix.

use crate::timing::pattern_matches;
use std::collections::HashSet;

use super::load::{ScoreError, ScoreErrorKind as K};
use super::{
    Bridge, Condition, CueVariation, Curve, Enter, Generated, Instrument, Layer, Length, Load,
    Part, Score, Source, Sync, Tempo, TransitionRule,
};

type Result<T = ()> = std::result::Result<T, ScoreError>;

pub(super) fn range(item: String, what: &str, value: f64, expected: &str) -> ScoreError {
    ScoreError::new(K::OutOfRange {
        what: what.into(),
        value,
        expected: expected.into(),
    })
    .item(item)
}

pub(super) fn invalid(item: String, msg: impl Into<String>) -> ScoreError {
    ScoreError::new(K::Invalid(msg.into())).item(item)
}

/// Edit distance, for "did you mean" hints.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The name in `names` closest to `name` by edit distance, when it is close enough to be a
/// misspelling of it (at most a third of its length, plus one). For hints in every file format
/// of the project (scores, control mappings, …).
pub fn closest_name<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    names
        .map(|n| (distance(name, n), n))
        .min_by_key(|&(d, _)| d)
        .filter(|&(d, _)| d <= name.chars().count().max(3) / 3 + 1)
        .map(|(_, n)| n)
}

/// The closest of `names` to `name`, as a hint.
pub(crate) fn did_you_mean<'a>(name: &str, names: impl Iterator<Item = &'a str>) -> String {
    match closest_name(name, names) {
        Some(n) => format!("did you mean \"{n}\"?"),
        None => "check the spelling against the names declared in the score".into(),
    }
}

pub(super) fn unknown<'a>(
    item: String,
    what: &'static str,
    name: &str,
    names: impl Iterator<Item = &'a str>,
) -> ScoreError {
    ScoreError::new(K::UnknownName {
        what,
        name: name.into(),
    })
    .item(item)
    .hint(did_you_mean(name, names))
}

pub(super) fn unique<'a>(
    what: &'static str,
    owner: &str,
    names: impl Iterator<Item = &'a str>,
) -> Result {
    let mut seen = HashSet::new();
    for n in names {
        if n.is_empty() {
            return Err(invalid(
                format!("{owner}{what} \"\""),
                format!("a {what} has an empty name"),
            )
            .hint(format!("give the {what} a name")));
        }
        if !seen.insert(n) {
            return Err(ScoreError::new(K::Duplicate {
                what,
                name: n.into(),
            })
            .item(format!("{owner}{what} \"{n}\""))
            .hint(format!("give each {what} its own name")));
        }
    }
    Ok(())
}

impl Score {
    /// Checks everything the parser cannot: names, ranges, lengths and consistency.
    pub fn validate(&self) -> Result {
        check_tempo(&self.tempo, "score tempo".into(), false)?;
        unique(
            "parameter",
            "",
            self.parameters.iter().map(|p| p.name.as_str()),
        )?;
        for p in &self.parameters {
            let item = format!("parameter \"{}\"", p.name);
            for (what, v) in [("min", p.min), ("max", p.max), ("default", p.default)] {
                if !v.is_finite() {
                    return Err(range(item, what, v as f64, "a finite number"));
                }
            }
            if p.min >= p.max {
                return Err(range(
                    item,
                    "max",
                    p.max as f64,
                    &format!("more than min ({})", p.min),
                ));
            }
            if p.default < p.min || p.default > p.max {
                return Err(range(
                    item,
                    "default",
                    p.default as f64,
                    &format!("within {}..={}", p.min, p.max),
                )
                .hint("move the default inside the parameter's range"));
            }
            if !(p.seek_speed >= 0.0 && p.seek_speed.is_finite()) {
                return Err(range(
                    item,
                    "seek_speed",
                    p.seek_speed as f64,
                    "0 or more units per second",
                ));
            }
        }
        if self.cues.is_empty() {
            return Err(
                invalid("score".into(), "the score has no cues").hint("add at least one cue")
            );
        }
        unique("cue", "", self.cues.iter().map(|c| c.name.as_str()))?;
        unique("segment", "", self.segments.iter().map(|s| s.name.as_str()))?;
        unique("stinger", "", self.stingers.iter().map(|s| s.name.as_str()))?;
        unique("theme", "", self.themes.iter().map(|s| s.name.as_str()))?;
        let cue_names = || self.cues.iter().map(|c| c.name.as_str());
        if self.cue(&self.initial_cue).is_none() {
            return Err(unknown(
                format!("initial_cue \"{}\"", self.initial_cue),
                "cue",
                &self.initial_cue,
                cue_names(),
            ));
        }
        for cue in &self.cues {
            self.check_cue(cue)?;
        }
        for seg in &self.segments {
            let item = format!("segment \"{}\"", seg.name);
            if seg.bars == 0 {
                return Err(range(item, "bars", 0.0, "at least 1"));
            }
            if seg.layers.is_empty() {
                return Err(invalid(item, "the segment has no layers"));
            }
            check_chords(&seg.chords, &item)?;
            unique(
                "layer",
                &format!("segment \"{}\", ", seg.name),
                seg.layers.iter().map(|l| l.name.as_str()),
            )?;
            for l in &seg.layers {
                self.check_layer(
                    l,
                    &format!("segment \"{}\", layer \"{}\"", seg.name, l.name),
                    false,
                )?;
            }
        }
        for rule in &self.rules {
            let item = format!("rule for cue \"{}\"", rule.cue);
            if self.cue(&rule.cue).is_none() {
                return Err(unknown(item, "cue", &rule.cue, cue_names()));
            }
            if rule.when.is_empty() {
                return Err(invalid(item, "the rule has no conditions")
                    .hint("add e.g. `when: [AtLeast(\"tension\", 0.7)]`"));
            }
            if !(rule.hysteresis >= 0.0 && rule.hysteresis.is_finite()) {
                return Err(range(
                    item,
                    "hysteresis",
                    rule.hysteresis as f64,
                    "0 or more",
                ));
            }
            for cond in &rule.when {
                let (Condition::AtLeast(p, v) | Condition::Below(p, v)) = cond;
                let Some(param) = self.parameter_index(p).map(|i| &self.parameters[i]) else {
                    return Err(unknown(
                        item,
                        "parameter",
                        p,
                        self.parameters.iter().map(|p| p.name.as_str()),
                    ));
                };
                if !v.is_finite() || *v < param.min || *v > param.max {
                    return Err(range(
                        item,
                        "threshold",
                        *v as f64,
                        &format!("within {}..={}", param.min, param.max),
                    ));
                }
            }
        }
        let mut pairs = HashSet::new();
        for t in &self.transitions {
            let item = format!("transition from \"{}\" to \"{}\"", t.from, t.to);
            for pat in [&t.from, &t.to] {
                if !self.cues.iter().any(|c| pattern_matches(pat, &c.name)) {
                    return Err(unknown(item, "cue", pat, cue_names()));
                }
            }
            if !pairs.insert((t.from.as_str(), t.to.as_str())) {
                return Err(ScoreError::new(K::Duplicate {
                    what: "transition",
                    name: format!("{} -> {}", t.from, t.to),
                })
                .item(item)
                .hint("two rules cover the same pair of cues: merge them, the second would never be used"));
            }
            self.check_sync(&t.sync, &t.from, &item)?;
            self.check_enter(t, &item)?;
            for (what, len) in [("fade_out", t.fade_out), ("fade_in", t.fade_in)] {
                check_length(len, &item, what)?;
            }
            match &t.bridge {
                Bridge::None => {}
                Bridge::Segment(s) => {
                    if !self.segments.iter().any(|x| &x.name == s) {
                        return Err(unknown(
                            item,
                            "segment",
                            s,
                            self.segments.iter().map(|s| s.name.as_str()),
                        ));
                    }
                }
                Bridge::Generated(bars) => {
                    if !(1..=16).contains(bars) {
                        return Err(range(
                            item,
                            "generated bridge bars",
                            *bars as f64,
                            "1 to 16",
                        ));
                    }
                }
            }
        }
        for s in &self.stingers {
            let item = format!("stinger \"{}\"", s.name);
            if s.variations.is_empty() {
                return Err(invalid(item, "the stinger has no variations"));
            }
            if let Sync::Marker(_) = s.sync {
                return Err(
                    invalid(item, "stingers sync to the beat or bar, not to markers")
                        .hint("use NextBeat or NextBar"),
                );
            }
            self.check_sync(&s.sync, "*", &item)?;
            if !(s.no_repeat_seconds >= 0.0 && s.no_repeat_seconds.is_finite()) {
                return Err(range(
                    item,
                    "no_repeat_seconds",
                    s.no_repeat_seconds as f64,
                    "0 or more",
                ));
            }
            for v in &s.variations {
                if !(v.weight > 0.0 && v.weight.is_finite()) {
                    return Err(range(
                        item,
                        "variation weight",
                        v.weight as f64,
                        "more than 0",
                    ));
                }
                if v.beats == 0 {
                    return Err(range(item, "variation beats", 0.0, "at least 1"));
                }
                check_source(&v.source, v.load, &item, false)?;
            }
        }
        if let Some(style) = &self.style {
            if style.model.is_none() && style.midi.is_empty() {
                return Err(invalid(
                    "style".into(),
                    "the style names neither a model nor MIDI files",
                )
                .hint("give `model: Some(\"name.style.ron\")` or `midi: [\"style/*.mid\"]`"));
            }
            let empty = style
                .model
                .iter()
                .chain(&style.midi)
                .any(|p| p.trim().is_empty());
            if empty {
                return Err(invalid("style".into(), "a style path is empty"));
            }
        }
        for th in &self.themes {
            let item = format!("theme \"{}\"", th.name);
            if th.notes.is_empty() && th.midi.is_none() {
                return Err(invalid(item, "the theme has neither notes nor a MIDI file"));
            }
            if th.midi.as_deref().is_some_and(|m| m.trim().is_empty()) {
                return Err(invalid(item, "the MIDI file name is empty"));
            }
            for &(pitch, len) in &th.notes {
                if !(-1..=127).contains(&pitch) {
                    return Err(range(
                        item,
                        "note pitch",
                        pitch as f64,
                        "-1..=127 (-1 = rest)",
                    ));
                }
                if !(len > 0.0 && len.is_finite()) {
                    return Err(range(item, "note length", len as f64, "more than 0 beats"));
                }
            }
        }
        for (what, d) in [
            ("stinger_db", self.ducking.stinger_db),
            ("dialogue_db", self.ducking.dialogue_db),
        ] {
            if !(-96.0..=0.0).contains(&d) {
                return Err(range("ducking".into(), what, d as f64, "-96 to 0 dB")
                    .hint("ducking attenuates: use a negative number of dB"));
            }
        }
        let s = self.ducking.seconds;
        if !(0.0..=60.0).contains(&s) {
            return Err(range(
                "ducking".into(),
                "seconds",
                s as f64,
                "0 to 60 seconds",
            ));
        }
        let dynamics = std::iter::once(("score".to_string(), self.dynamics.as_ref())).chain(
            self.cues
                .iter()
                .map(|c| (format!("cue \"{}\"", c.name), c.dynamics.as_ref())),
        );
        for (item, d) in dynamics {
            let Some(d) = d else { continue };
            if self.parameter_index(&d.parameter).is_none() {
                return Err(unknown(
                    item,
                    "parameter",
                    &d.parameter,
                    self.parameters.iter().map(|p| p.name.as_str()),
                ));
            }
            if !(0.0..=48.0).contains(&d.range_db) {
                return Err(range(
                    item,
                    "dynamics range_db",
                    d.range_db as f64,
                    "0 to 48 dB",
                ));
            }
        }
        self.check_mix()
    }

    fn check_cue(&self, cue: &super::Cue) -> Result {
        let item = format!("cue \"{}\"", cue.name);
        if cue.bars == 0 {
            return Err(range(item, "bars", 0.0, "at least 1"));
        }
        let tempo = self.cue_tempo(cue);
        if let Some(t) = &cue.tempo {
            check_tempo(t, item.clone(), cue.looping)?;
        } else if cue.looping && !self.tempo.changes.is_empty() {
            check_tempo(tempo, item.clone(), true)?;
        }
        if cue.layers.is_empty() {
            return Err(
                invalid(item, "the cue has no layers").hint("add a layer, or `Silence` for a rest")
            );
        }
        unique(
            "layer",
            &format!("cue \"{}\", ", cue.name),
            cue.layers.iter().map(|l| l.name.as_str()),
        )?;
        unique(
            "marker",
            &format!("cue \"{}\", ", cue.name),
            cue.markers.iter().map(|m| m.name.as_str()),
        )?;
        for m in &cue.markers {
            let mi = format!("cue \"{}\", marker \"{}\"", cue.name, m.name);
            if m.bar == 0 || m.bar > cue.bars {
                return Err(range(
                    mi,
                    "bar",
                    m.bar as f64,
                    &format!("1 to {} (the cue's length)", cue.bars),
                ));
            }
            if m.beat == 0 || m.beat > tempo.meter.0 {
                return Err(range(
                    mi,
                    "beat",
                    m.beat as f64,
                    &format!("1 to {}", tempo.meter.0),
                ));
            }
        }
        if cue.chords.len() > cue.bars as usize {
            return Err(invalid(
                item,
                format!("{} chords for {} bars", cue.chords.len(), cue.bars),
            )
            .hint("give one chord per bar at most"));
        }
        check_chords(&cue.chords, &item)?;
        if let Some(th) = &cue.theme
            && !self.themes.iter().any(|t| &t.name == th)
        {
            return Err(unknown(
                item,
                "theme",
                th,
                self.themes.iter().map(|t| t.name.as_str()),
            ));
        }
        for v in &cue.tempo_variants {
            let Some(other) = self.cue(&v.cue) else {
                return Err(unknown(
                    item,
                    "cue",
                    &v.cue,
                    self.cues.iter().map(|c| c.name.as_str()),
                ));
            };
            if other.name == cue.name {
                return Err(invalid(item, "a cue cannot be its own tempo variant"));
            }
            if (self.cue_tempo(other).bpm - v.bpm).abs() > 1e-9 {
                return Err(invalid(
                    item,
                    format!(
                        "tempo variant \"{}\" plays at {} BPM, not {}",
                        v.cue,
                        self.cue_tempo(other).bpm,
                        v.bpm
                    ),
                ));
            }
        }
        if let Some((v, a)) = cue.mood {
            for x in [v, a] {
                if !(-1.0..=1.0).contains(&x) {
                    return Err(range(
                        item,
                        "mood",
                        x as f64,
                        "valence and arousal within -1..=1",
                    ));
                }
            }
        }
        for l in &cue.layers {
            let item = format!("cue \"{}\", layer \"{}\"", cue.name, l.name);
            self.check_layer(l, &item, true)?;
            if let Source::Generated(g) = &l.source {
                self.check_live(g, &item)?;
            }
        }
        check_variation(cue, &item)
    }

    fn check_layer(&self, l: &Layer, item: &str, live_ok: bool) -> Result {
        if !l.gain_db.is_finite() || l.gain_db > 24.0 {
            return Err(range(
                item.into(),
                "gain_db",
                l.gain_db as f64,
                "a finite gain up to +24 dB",
            ));
        }
        if !(-1.0..=1.0).contains(&l.pan) {
            return Err(range(item.into(), "pan", l.pan as f64, "-1 to 1"));
        }
        if let Some(c) = &l.gain_curve {
            self.check_curve(c, item, 0.0, 4.0)?;
        }
        if let Some(c) = &l.cutoff_curve {
            self.check_curve(c, item, 20.0, 24_000.0)?;
        }
        if l.excerpt && !matches!(l.source, Source::File(_)) {
            return Err(invalid(
                item.into(),
                "`excerpt` applies to File sources only (generated material has the cue's length)",
            )
            .hint("remove `excerpt: true`"));
        }
        check_source(&l.source, l.load, item, live_ok)?;
        if !l.alternates.is_empty() {
            if !live_ok {
                return Err(invalid(
                    item.into(),
                    "only a cue's layers have alternates (a segment plays once)",
                )
                .hint("remove `alternates`"));
            }
            if matches!(&l.source, Source::Generated(g) if g.live) {
                return Err(invalid(
                    item.into(),
                    "a live part cannot have alternates (its notes are sequenced every pass)",
                )
                .hint("remove `alternates`, or `live: true`"));
            }
        }
        for (k, alt) in l.alternates.iter().enumerate() {
            let item = format!("{item}, alternate {}", k + 1);
            if l.excerpt && !matches!(alt, Source::File(_)) {
                return Err(invalid(
                    item,
                    "`excerpt` applies to File sources only, and this alternate is not one",
                )
                .hint("give the alternate a File source, or remove `excerpt: true`"));
            }
            check_source(alt, l.load, &item, false)?;
        }
        Ok(())
    }

    /// A live part's shaping curves (live parts are checked to be cue layers in
    /// [`check_source`]).
    fn check_live(&self, g: &Generated, item: &str) -> Result {
        if g.live && matches!(g.part, Part::Riser) {
            return Err(invalid(
                item.into(),
                "a Riser is a noise sweep, not notes: it cannot play live",
            )
            .hint("remove `live: true` from the Riser part"));
        }
        let drums = matches!(g.part, Part::Drums(_))
            || matches!(
                g.instrument,
                Instrument::Drums | Instrument::Soundfont(128, _)
            );
        if drums && g.register_curve.is_some() {
            return Err(invalid(
                item.into(),
                "`register_curve` moves pitches by octaves, and a drum part's notes are drum keys",
            )
            .hint("remove `register_curve` from the drum part (use `density_curve` or `velocity_curve`)"));
        }
        let ranges = [
            ("density_curve", 0.0, 2.0),
            ("register_curve", -3.0, 3.0),
            ("velocity_curve", 0.0, 2.0),
            ("articulation_curve", 0.05, 2.0),
        ];
        for (c, (name, lo, hi)) in g.live_curves().into_iter().zip(ranges) {
            let Some(c) = c else { continue };
            if !g.live {
                return Err(invalid(
                    item.into(),
                    format!("`{name}` shapes a live part, and this part is rendered at load"),
                )
                .hint("add `live: true` to the generated part, or remove the curve"));
            }
            self.check_curve(c, &format!("{item}, {name}"), lo, hi)?;
        }
        Ok(())
    }

    fn check_curve(&self, c: &Curve, item: &str, lo: f32, hi: f32) -> Result {
        let item = item.to_string();
        if self.parameter_index(&c.parameter).is_none() {
            return Err(unknown(
                item,
                "parameter",
                &c.parameter,
                self.parameters.iter().map(|p| p.name.as_str()),
            ));
        }
        if c.points.is_empty() {
            return Err(invalid(item, "the curve has no points"));
        }
        for w in c.points.windows(2) {
            if w[1].x < w[0].x || w[1].x.is_nan() {
                return Err(
                    invalid(item, format!("curve points go backwards at x = {}", w[1].x))
                        .hint("list the points in increasing x"),
                );
            }
        }
        for p in &c.points {
            if !(p.x.is_finite() && p.y >= lo && p.y <= hi) {
                return Err(range(
                    item,
                    "curve value",
                    p.y as f64,
                    &format!("{lo} to {hi}"),
                ));
            }
        }
        Ok(())
    }

    fn check_sync(&self, sync: &Sync, from: &str, item: &str) -> Result {
        match sync {
            Sync::EveryBars(0) => Err(range(item.into(), "EveryBars", 0.0, "at least 1")),
            Sync::Marker(name) => {
                let has = self
                    .cues
                    .iter()
                    .filter(|c| pattern_matches(from, &c.name))
                    .any(|c| c.markers.iter().any(|m| &m.name == name));
                if has {
                    Ok(())
                } else {
                    let names = self
                        .cues
                        .iter()
                        .flat_map(|c| c.markers.iter().map(|m| m.name.as_str()));
                    Err(unknown(item.into(), "marker", name, names))
                }
            }
            _ => Ok(()),
        }
    }

    /// An entry other than bar 1 needs no bridge, and a marker entry a marker in every cue the
    /// rule can enter.
    fn check_enter(&self, t: &TransitionRule, item: &str) -> Result {
        if t.enter != Enter::Start && t.bridge != Bridge::None {
            return Err(invalid(
                item.into(),
                "a transition with a bridge or segment enters its target at bar 1",
            )
            .hint("remove `bridge`, or use `enter: Start`"));
        }
        if let Enter::Marker(name) = &t.enter
            && let Some(c) = self
                .cues
                .iter()
                .filter(|c| pattern_matches(&t.to, &c.name))
                .find(|c| !c.markers.iter().any(|m| &m.name == name))
        {
            return Err(unknown(
                format!("{item} (target cue \"{}\")", c.name),
                "marker",
                name,
                c.markers.iter().map(|m| m.name.as_str()),
            ));
        }
        Ok(())
    }
}

/// A cue's `variation` against its layers' `alternates`.
fn check_variation(cue: &super::Cue, item: &str) -> Result {
    let bodies = cue.bodies();
    if cue.variation == CueVariation::None {
        if bodies > 1 {
            return Err(invalid(
                item.into(),
                "layers have `alternates` but the cue has no `variation` to choose between them",
            )
            .hint("add `variation: Sequence`, `Shuffle` or `Random(weights: [...])` to the cue, or remove `alternates`"));
        }
        return Ok(());
    }
    if bodies < 2 {
        return Err(invalid(
            item.into(),
            "the cue has a `variation` but no layer has `alternates` to vary with",
        )
        .hint("give a layer `alternates: [File(\"...\")]`, or remove `variation`"));
    }
    if let Some(l) = cue
        .layers
        .iter()
        .find(|l| !l.alternates.is_empty() && l.alternates.len() + 1 != bodies)
    {
        return Err(invalid(
            format!("{item}, layer \"{}\"", l.name),
            format!(
                "{} alternates where another layer has {}: every layer with alternates needs one per body",
                l.alternates.len(),
                bodies - 1
            ),
        )
        .hint("give each varying layer the same number of alternates (a layer without any plays its `source` in every body)"));
    }
    if let CueVariation::Random { weights, .. } = &cue.variation {
        if !weights.is_empty() && weights.len() != bodies {
            return Err(invalid(
                format!("{item}, variation"),
                format!(
                    "{} weights for {bodies} bodies (the `source`s and {} alternates)",
                    weights.len(),
                    bodies - 1
                ),
            )
            .hint("give one weight per body, the first for the layers' `source`, or none for equal weights"));
        }
        if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
            return Err(range(
                format!("{item}, variation"),
                "weight",
                *w as f64,
                "0 or more",
            ));
        }
        if !weights.is_empty() && weights.iter().all(|w| *w == 0.0) {
            return Err(invalid(format!("{item}, variation"), "every weight is 0")
                .hint("give at least one body a weight above 0"));
        }
    }
    Ok(())
}

fn check_source(source: &Source, load: Load, item: &str, live_ok: bool) -> Result {
    if load == Load::Stream && !matches!(source, Source::File(_)) {
        return Err(invalid(
            item.into(),
            "`load: Stream` applies to File sources only (generated and silent material is made in memory)",
        )
        .hint("remove `load`, or give the layer a File source"));
    }
    match source {
        Source::File(p) if p.trim().is_empty() => {
            Err(invalid(item.into(), "the file name is empty"))
        }
        Source::Generated(g) if !(0.0..=1.0).contains(&g.velocity) => {
            Err(range(item.into(), "velocity", g.velocity as f64, "0 to 1"))
        }
        Source::Generated(g) if !(0..=8).contains(&g.octave) => {
            Err(range(item.into(), "octave", g.octave as f64, "0 to 8"))
        }
        Source::Generated(g)
            if !live_ok && (g.live || g.live_curves().iter().any(Option::is_some)) =>
        {
            Err(invalid(
                item.into(),
                "only a cue's layers play live (segments and stingers are rendered for the \
                 moment they play, in its chord and at its tempo)",
            )
            .hint("remove `live` and the live curves here"))
        }
        _ => Ok(()),
    }
}

/// Chord qualities `leitmotif_gen::theory::Chord::parse` understands (kept equal to its table;
/// a test in `leitmotif_gen` checks that both accept the same symbols).
const CHORD_SUFFIXES: &[&str] = &[
    "", "maj", "M", "m", "min", "-", "dim", "°", "o", "aug", "+", "sus2", "sus4", "sus", "6", "m6",
    "7", "maj7", "M7", "Δ", "Δ7", "m7", "min7", "-7", "mMaj7", "mM7", "m(maj7)", "m7b5", "min7b5",
    "ø", "ø7", "dim7", "°7", "o7",
];

/// A note name at the start of `text` (a letter A–G in either case, then any `#`, `b`, `♯`,
/// `♭`), and the rest.
fn note_prefix(text: &str) -> Option<&str> {
    let mut chars = text.char_indices();
    let (_, letter) = chars.next()?;
    if !matches!(letter.to_ascii_uppercase(), 'A'..='G') {
        return None;
    }
    for (i, c) in chars {
        if !matches!(c, '#' | '♯' | 'b' | '♭') {
            return Some(&text[i..]);
        }
    }
    Some("")
}

/// Why a chord symbol cannot be read (as the generator reads it), or `None`.
fn chord_problem(text: &str) -> Option<&'static str> {
    let (main, bass) = match text.trim().split_once('/') {
        Some((m, b)) => (m, Some(b.trim())),
        None => (text.trim(), None),
    };
    let Some(suffix) = note_prefix(main) else {
        return Some("a chord starts with a root A–G, e.g. \"Bb\" or \"F#m7b5\"");
    };
    if !CHORD_SUFFIXES.contains(&suffix) {
        return Some(
            "unknown chord quality; use one of m, 7, maj7, m7, dim, dim7, aug, sus2, sus4, 6, m6, \
             mMaj7, m7b5 after the root (e.g. \"Bm7b5\"), optionally followed by /bass",
        );
    }
    if bass.is_some_and(|b| note_prefix(b) != Some("")) {
        return Some("the bass after '/' must be a note name, e.g. \"C/E\"");
    }
    None
}

fn check_chords(chords: &[String], item: &str) -> Result {
    for c in chords {
        if let Some(hint) = chord_problem(c) {
            return Err(ScoreError::new(K::UnknownName {
                what: "chord symbol",
                name: c.clone(),
            })
            .item(item.to_string())
            .hint(hint));
        }
    }
    Ok(())
}

fn check_length(len: Length, item: &str, what: &str) -> Result {
    let (Length::Beats(v) | Length::Seconds(v)) = len;
    if v.is_finite() && (0.0..=3600.0).contains(&v) {
        Ok(())
    } else {
        Err(range(item.into(), what, v, "0 or more (and finite)"))
    }
}

fn check_tempo(t: &Tempo, item: String, looping: bool) -> Result {
    if !(t.bpm > 0.0 && t.bpm <= 999.0) {
        return Err(range(item, "bpm", t.bpm, "more than 0 and at most 999")
            .hint("tempo is in beats per minute, e.g. 120.0"));
    }
    let (n, d) = t.meter;
    if !(1..=32).contains(&n) || !matches!(d, 1 | 2 | 4 | 8 | 16 | 32) {
        return Err(invalid(
            item,
            format!("meter ({n}, {d}) is not a valid time signature"),
        )
        .hint("use (beats per bar 1-32, beat unit 1/2/4/8/16/32), e.g. (4, 4)"));
    }
    let mut last = 1;
    for c in &t.changes {
        if c.bar <= last {
            return Err(invalid(
                item,
                format!("tempo change at bar {} is not after bar {last}", c.bar),
            )
            .hint("list tempo changes at increasing bars after bar 1"));
        }
        last = c.bar;
        if !(c.bpm > 0.0 && c.bpm <= 999.0) {
            return Err(range(
                item,
                "tempo change bpm",
                c.bpm,
                "more than 0 and at most 999",
            ));
        }
    }
    if looping && !t.changes.is_empty() {
        return Err(
            invalid(item, "a looping cue cannot change tempo inside its loop")
                .hint("split it into cues, or set `looping: false`"),
        );
    }
    Ok(())
}
