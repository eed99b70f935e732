//! Piecewise curves over a parameter, with per-segment shapes.

use serde::{Deserialize, Serialize};

/// Shape of a segment of a curve or of a fade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum CurveShape {
    /// Straight line.
    #[default]
    Linear,
    /// Equal power (sine/cosine quarter): constant loudness across a crossfade.
    EqualPower,
    /// Smooth S-curve (smoothstep).
    SCurve,
    /// Exponential-feeling (squared) rise.
    Exponential,
    /// Logarithmic-feeling (square-root) rise.
    Logarithmic,
    /// Holds the start value until the next point.
    Step,
}

impl CurveShape {
    /// Maps a position `t` in 0..=1 along a segment to a blend amount in 0..=1.
    pub fn apply(self, t: f32) -> f32 {
        let t = t.clamp(0.0, 1.0);
        match self {
            CurveShape::Linear => t,
            CurveShape::EqualPower => (t * std::f32::consts::FRAC_PI_2).sin(),
            CurveShape::SCurve => t * t * (3.0 - 2.0 * t),
            CurveShape::Exponential => t * t,
            CurveShape::Logarithmic => t.sqrt(),
            CurveShape::Step => {
                if t >= 1.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// One point of a curve: at parameter value `x` the output is `y`; the segment that *ends* at
/// this point has `shape`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CurvePoint {
    /// Parameter value.
    pub x: f32,
    /// Output value.
    pub y: f32,
    /// Shape of the segment arriving at this point.
    #[serde(default)]
    pub shape: CurveShape,
}

/// A piecewise curve of a named parameter. Outside its points it holds the end values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curve {
    /// The parameter the curve reads.
    pub parameter: String,
    /// Points in increasing `x`.
    pub points: Vec<CurvePoint>,
}

impl Curve {
    /// Value of the curve at parameter value `x`.
    pub fn eval(&self, x: f32) -> f32 {
        let pts = &self.points;
        let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
            return 1.0;
        };
        if x <= first.x {
            return first.y;
        }
        if x >= last.x {
            return last.y;
        }
        // The curve has a handful of points: a linear scan beats a binary search here.
        for w in pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if x <= b.x {
                let span = b.x - a.x;
                let t = if span > 0.0 { (x - a.x) / span } else { 1.0 };
                return a.y + (b.y - a.y) * b.shape.apply(t);
            }
        }
        last.y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(points: &[(f32, f32, CurveShape)]) -> Curve {
        Curve {
            parameter: "p".into(),
            points: points
                .iter()
                .map(|&(x, y, shape)| CurvePoint { x, y, shape })
                .collect(),
        }
    }

    #[test]
    fn holds_ends_and_interpolates() {
        let c = curve(&[
            (0.2, 0.0, CurveShape::Linear),
            (0.6, 1.0, CurveShape::Linear),
        ]);
        assert_eq!(c.eval(0.0), 0.0);
        assert_eq!(c.eval(1.0), 1.0);
        assert!((c.eval(0.4) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn shapes_are_monotone_and_end_at_one() {
        for shape in [
            CurveShape::Linear,
            CurveShape::EqualPower,
            CurveShape::SCurve,
            CurveShape::Exponential,
            CurveShape::Logarithmic,
        ] {
            let mut prev = shape.apply(0.0);
            assert_eq!(prev, 0.0, "{shape:?}");
            for i in 1..=100 {
                let v = shape.apply(i as f32 / 100.0);
                assert!(v >= prev, "{shape:?} not monotone at {i}");
                prev = v;
            }
            assert!((prev - 1.0).abs() < 1e-6, "{shape:?}");
        }
        // Equal power: the two halves of a crossfade keep constant power.
        for i in 0..=10 {
            let t = i as f32 / 10.0;
            let a = CurveShape::EqualPower.apply(t);
            let b = CurveShape::EqualPower.apply(1.0 - t);
            assert!((a * a + b * b - 1.0).abs() < 1e-5);
        }
    }
}
