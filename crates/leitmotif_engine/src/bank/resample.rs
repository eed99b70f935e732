//! Sample-rate conversion of whole stems at load time (never on the audio thread).

/// Resamples with a Lanczos (a = 8) windowed sinc; exact copy when the rates match.
///
/// The output has `round(len · to / from)` frames, so stems of equal musical length stay equal.
pub fn resample(input: &[[f32; 2]], from: u32, to: u32) -> Vec<[f32; 2]> {
    if from == to || input.is_empty() {
        return input.to_vec();
    }
    const A: i64 = 8;
    let ratio = from as f64 / to as f64;
    let out_len = (input.len() as f64 / ratio).round() as usize;
    // Downsampling: widen the kernel to low-pass below the new Nyquist.
    let scale = ratio.max(1.0);
    let half = (A as f64 * scale).ceil() as i64;
    let sinc = |x: f64| {
        if x.abs() < 1e-12 {
            1.0
        } else {
            (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
        }
    };
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len {
        let pos = n as f64 * ratio;
        let centre = pos.floor() as i64;
        let (mut l, mut r, mut wsum) = (0.0f64, 0.0f64, 0.0f64);
        for k in (centre - half + 1)..=(centre + half) {
            let x = (pos - k as f64) / scale;
            if x.abs() >= A as f64 {
                continue;
            }
            let w = sinc(x) * sinc(x / A as f64);
            if let Some(s) = usize::try_from(k).ok().and_then(|k| input.get(k)) {
                l += s[0] as f64 * w;
                r += s[1] as f64 * w;
            }
            wsum += w;
        }
        let norm = if wsum.abs() > 1e-9 { 1.0 / wsum } else { 0.0 };
        out.push([(l * norm) as f32, (r * norm) as f32]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sine_survives_44k1_to_48k() {
        let f = 441.0;
        let input: Vec<[f32; 2]> = (0..44_100)
            .map(|i| {
                let s = (2.0 * std::f64::consts::PI * f * i as f64 / 44_100.0).sin() as f32 * 0.5;
                [s, -s]
            })
            .collect();
        let out = resample(&input, 44_100, 48_000);
        assert_eq!(out.len(), 48_000);
        let mut err = 0.0f64;
        for (i, s) in out.iter().enumerate().skip(100).take(47_000) {
            let want = (2.0 * std::f64::consts::PI * f * i as f64 / 48_000.0).sin() * 0.5;
            err = err.max((s[0] as f64 - want).abs());
            assert!((s[0] + s[1]).abs() < 1e-6);
        }
        assert!(err < 2e-3, "max error {err}");
    }
}
