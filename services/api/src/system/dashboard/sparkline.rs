//! Sparklines: the `points` of an SVG `<polyline>` for the last hour of one metric, computed here so the page
//! needs no script and no inline style.
//!
//! The drawing has one slot per sample of a full hour ([`SLOTS`]), one unit apart, newest at the right edge.
//! A history shorter than an hour fills only its right-hand part, so the horizontal axis always means the same
//! span of time. Values are scaled from 0 (bottom) to the metric's ceiling (top) and clamped to that range.

use std::fmt::Write as _;

use crate::system::HISTORY_LEN;

/// Slots across the drawing: one per sample of a full history.
pub const SLOTS: usize = HISTORY_LEN;
/// The drawing's width in SVG units: one unit between neighbouring slots.
pub const WIDTH: f64 = (SLOTS - 1) as f64;
/// The drawing's height in SVG units.
pub const HEIGHT: f64 = 40.0;
/// Room kept at the top and bottom so a line at 0 or at the ceiling is not cut in half by the edge.
const PAD: f64 = 1.0;

/// The `points` attribute for `values` (oldest first) on a `0 0 WIDTH HEIGHT` view box, scaled so that 0 is at
/// the bottom and `ceiling` at the top.
///
/// - No value: an empty string (the caller draws no line).
/// - One value: a level line across the whole width (a single point would draw nothing).
/// - More values than [`SLOTS`]: only the newest `SLOTS` are drawn.
/// - A value below 0, above `ceiling` or not a number is drawn at the nearest edge (not a number: at 0); a
///   `ceiling` that is not positive puts every point at the bottom.
pub fn points(values: &[f64], ceiling: f64) -> String {
    let values = &values[values.len().saturating_sub(SLOTS)..];
    let y = |value: f64| {
        let share = if ceiling > 0.0 && value.is_finite() { (value / ceiling).clamp(0.0, 1.0) } else { 0.0 };
        PAD + (1.0 - share) * (HEIGHT - 2.0 * PAD)
    };
    let mut out = String::with_capacity(values.len() * 10);
    match values {
        [] => {}
        [only] => {
            let level = y(*only);
            push_point(&mut out, 0.0, level);
            push_point(&mut out, WIDTH, level);
        }
        _ => {
            let first_slot = SLOTS - values.len();
            for (index, value) in values.iter().enumerate() {
                // Slot numbers are below 400, so the conversion is exact.
                push_point(&mut out, (first_slot + index) as f64, y(*value));
            }
        }
    }
    out
}

/// Appends `x,y` (one decimal at most, no trailing `.0`), space-separated from what precedes it.
fn push_point(out: &mut String, x: f64, y: f64) {
    if !out.is_empty() {
        out.push(' ');
    }
    let round = |v: f64| (v * 10.0).round() / 10.0;
    let _ = write!(out, "{},{}", round(x), round(y));
}

/// The smallest and largest finite value, for the sparkline's description; `None` without one.
pub fn range(values: &[f64]) -> Option<(f64, f64)> {
    values.iter().copied().filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((low, high)) => Some((low.min(v), high.max(v))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(points: &str) -> Vec<(f64, f64)> {
        points
            .split(' ')
            .map(|pair| {
                let (x, y) = pair.split_once(',').expect("x,y");
                (x.parse().expect("x is a number"), y.parse().expect("y is a number"))
            })
            .collect()
    }

    #[test]
    fn an_empty_history_draws_nothing() {
        assert_eq!(points(&[], 100.0), "");
        assert_eq!(range(&[]), None);
        assert_eq!(range(&[f64::NAN]), None);
    }

    #[test]
    fn one_sample_is_a_level_line_across_the_width() {
        assert_eq!(points(&[50.0], 100.0), "0,20 359,20");
        assert_eq!(points(&[0.0], 100.0), "0,39 359,39");
        assert_eq!(points(&[100.0], 100.0), "0,1 359,1");
    }

    #[test]
    fn values_are_scaled_from_the_bottom_to_the_ceiling() {
        let drawn = parsed(&points(&[0.0, 25.0, 100.0], 100.0));
        assert_eq!(drawn, [(357.0, 39.0), (358.0, 29.5), (359.0, 1.0)]);
        // The same shares on another scale give the same drawing.
        assert_eq!(points(&[0.0, 2.0, 8.0], 8.0), points(&[0.0, 25.0, 100.0], 100.0));
    }

    #[test]
    fn a_short_history_is_right_aligned_and_a_full_one_spans_the_width() {
        let short = parsed(&points(&[1.0; 10], 2.0));
        assert_eq!(short.len(), 10);
        assert_eq!(short.first().map(|p| p.0), Some(350.0));
        assert_eq!(short.last().map(|p| p.0), Some(WIDTH));

        let full: Vec<f64> = (0..SLOTS).map(|i| i as f64).collect();
        let drawn = parsed(&points(&full, SLOTS as f64));
        assert_eq!(drawn.len(), SLOTS);
        assert_eq!(drawn.first().map(|p| p.0), Some(0.0));
        assert_eq!(drawn.last().map(|p| p.0), Some(WIDTH));
        assert!(drawn.windows(2).all(|w| w[1].0 - w[0].0 == 1.0 && w[1].1 <= w[0].1), "rising, one unit apart");
    }

    #[test]
    fn a_longer_history_keeps_only_the_newest_slots() {
        let mut values = vec![1000.0; 5];
        values.extend(std::iter::repeat_n(0.0, SLOTS));
        let drawn = parsed(&points(&values, 10.0));
        assert_eq!(drawn.len(), SLOTS);
        assert!(drawn.iter().all(|p| p.1 == 39.0), "the five oldest values were dropped");
    }

    #[test]
    fn values_outside_the_range_are_clamped_to_the_edges() {
        let drawn = parsed(&points(&[-5.0, 250.0, f64::NAN, f64::INFINITY, 100.0], 100.0));
        let ys: Vec<f64> = drawn.iter().map(|p| p.1).collect();
        assert_eq!(ys, [39.0, 1.0, 39.0, 39.0, 1.0]);
        for ceiling in [0.0, -1.0, f64::NAN] {
            assert!(parsed(&points(&[1.0, 2.0], ceiling)).iter().all(|p| p.1 == 39.0), "ceiling {ceiling}");
        }
    }

    #[test]
    fn the_range_ignores_values_that_are_not_numbers() {
        assert_eq!(range(&[3.0, f64::NAN, 41.0, 7.5]), Some((3.0, 41.0)));
        assert_eq!(range(&[2.0]), Some((2.0, 2.0)));
    }
}
