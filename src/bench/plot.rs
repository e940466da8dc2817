//! The bench report as a picture: per class, the p50, the p99, (with cold runs) the cold
//! p50 and (with a peer) the peer's p50 as bars on a log scale, the repeats' spread as a line through each bar's top
//! (plotters, SVG).

use std::path::Path;

use plotters::prelude::*;

use super::BenchReport;
use crate::error::{Error, Result};

/// Draws `report` into an SVG file at `path`.
pub fn write_svg(report: &BenchReport, path: &Path) -> Result<()> {
    let fail = |e: String| Error::Write { path: path.to_path_buf(), source: std::io::Error::other(e) };
    let classes = report.classes.len().max(1) as u32;
    let width = 160 + 110 * classes;
    let root = SVGBackend::new(path, (width, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
    let cold = |c: &super::ClassReport| {
        c.cold_p50_us.map(|mid| (mid, c.cold_p50_min_us.unwrap_or(mid), c.cold_p50_max_us.unwrap_or(mid)))
    };
    let top = report
        .classes
        .iter()
        .map(|c| {
            c.p99_max_us.max(c.p99_us).max(cold(c).map_or(0.0, |(_, _, hi)| hi)).max(c.peer_p50_max_us.unwrap_or(0.0))
        })
        .fold(10.0, f64::max)
        * 2.0;
    let low = report.classes.iter().map(|c| c.p50_min_us.min(c.p50_us)).fold(top, f64::min).max(1.0) / 2.0;
    let title = format!(
        "paperdex bench: {} records, {} cores, p50 (dark) and p99 (light){}{}, µs, {} repeats",
        report.index.records,
        report.machine.cores,
        if report.cold > 0 { ", cold p50 (orange)" } else { "" },
        report.peer.as_ref().map(|p| format!(", {p} p50 (green)")).unwrap_or_default(),
        report.repeat
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..f64::from(classes), (low..top).log_scale())
        .map_err(|e| fail(e.to_string()))?;
    let names: Vec<String> = report.classes.iter().map(|c| c.class.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 0.01 { names.get(i).cloned().unwrap_or_default() } else { String::new() }
        })
        .y_desc("µs")
        .draw()
        .map_err(|e| fail(e.to_string()))?;
    let dark = RGBColor(31, 78, 140);
    let light = RGBColor(140, 180, 225);
    let orange = RGBColor(230, 140, 40);
    let green = RGBColor(60, 150, 80);
    for (i, c) in report.classes.iter().enumerate() {
        let x = i as f64;
        let mut bars =
            vec![(c.p50_us, dark, c.p50_min_us, c.p50_max_us), (c.p99_us, light, c.p99_min_us, c.p99_max_us)];
        if let Some((mid, lo, hi)) = cold(c) {
            bars.push((mid, orange, lo, hi));
        }
        if let Some(mid) = c.peer_p50_us {
            bars.push((mid, green, c.peer_p50_min_us.unwrap_or(mid), c.peer_p50_max_us.unwrap_or(mid)));
        }
        // The bars share 0.8 of the class's width, side by side.
        let step = 0.8 / bars.len() as f64;
        for (k, (value, color, lo, hi)) in bars.into_iter().enumerate() {
            let from = x + 0.1 + step * k as f64 + step * 0.05;
            let to = from + step * 0.9;
            chart
                .draw_series(std::iter::once(Rectangle::new([(from, low), (to, value.max(low))], color.filled())))
                .map_err(|e| fail(e.to_string()))?;
            let mid = (from + to) / 2.0;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(mid, lo.max(low)), (mid, hi.max(low))],
                    BLACK.stroke_width(2),
                )))
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    root.present().map_err(|e| fail(e.to_string()))?;
    Ok(())
}
