//! Small SVG charts: a line chart (values per day) and a bar chart (values per category). Clear
//! axes with ticks and units, the title above, a `<title>` on every point and bar so hovering reads
//! the value, and colours from the CSS tokens (each series or bar names a class, style.css colours it).

use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 44.0;

/// One line of a line chart: a value for each label of the x axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// The class that colours it (`series-created` → `.chart .series-created`).
    pub class: &'static str,
    pub values: Vec<f64>,
}

/// One bar of a bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub class: &'static str,
}

/// A point on an axis: where the ticks go, from 0 to `top` in steps of `step`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Scale {
    top: f64,
    step: f64,
}

/// Round steps (1, 2, 5 × 10ⁿ, never below 1: these are counts) giving at most `target` ticks above 0.
fn scale(max: f64, target: usize) -> Scale {
    if !max.is_finite() || max <= 0.0 {
        return Scale { top: 4.0, step: 1.0 };
    }
    let raw = max / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let normal = raw / magnitude;
    let step = if normal <= 1.0 {
        1.0
    } else if normal <= 2.0 {
        2.0
    } else if normal <= 5.0 {
        5.0
    } else {
        10.0
    } * magnitude;
    let step = step.max(1.0);
    Scale {
        top: (max / step).ceil() * step,
        step,
    }
}

impl Scale {
    fn ticks(&self) -> Vec<f64> {
        let count = (self.top / self.step).round() as usize;
        (0..=count).map(|at| at as f64 * self.step).collect()
    }

    fn y(&self, value: f64) -> f64 {
        let plot = HEIGHT - TOP - BOTTOM;
        HEIGHT - BOTTOM - (value / self.top).clamp(0.0, 1.0) * plot
    }
}

/// A number as the axis and the hover text write it: whole numbers without decimals.
pub fn number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round() as i64)
    } else {
        format!("{value:.1}")
    }
}

/// `1 ticket`, `3 tickets`.
pub fn counted(value: f64, unit: &str) -> String {
    if (value - 1.0).abs() < 1e-9 {
        format!("1 {unit}")
    } else {
        format!("{} {unit}s", number(value))
    }
}

/// Which x labels to write: about `target` of them, evenly spaced, always the first.
fn label_every(count: usize, target: usize) -> usize {
    count.div_ceil(target.max(1)).max(1)
}

/// The y axis: grid lines, tick labels and the axis title (with its unit).
fn y_axis(scale: Scale, title: &'static str) -> impl IntoView {
    let ticks = scale.ticks();
    let middle = TOP + (HEIGHT - TOP - BOTTOM) / 2.0;
    view! {
        <g class="axis y-axis">
            {ticks
                .into_iter()
                .map(|tick| {
                    let y = scale.y(tick);
                    view! {
                        <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=y y2=y></line>
                        <text class="tick" x=LEFT - 8.0 y=y + 4.0 text-anchor="end">{number(tick)}</text>
                    }
                })
                .collect_view()}
            <line class="axis-line" x1=LEFT x2=LEFT y1=TOP y2=HEIGHT - BOTTOM></line>
            <text class="axis-title" x=14.0 y=middle text-anchor="middle" transform=format!("rotate(-90 14 {middle})")>
                {title}
            </text>
        </g>
    }
}

fn x_axis_line_and_title(title: &'static str) -> impl IntoView {
    view! {
        <line class="axis-line" x1=LEFT x2=WIDTH - RIGHT y1=HEIGHT - BOTTOM y2=HEIGHT - BOTTOM></line>
        <text class="axis-title" x=LEFT + (WIDTH - LEFT - RIGHT) / 2.0 y=HEIGHT - 6.0 text-anchor="middle">{title}</text>
    }
}

/// Values over an x axis of labels (days), one line per series.
///
/// `labels` are written under the axis; `hover_labels` (one per label, longer) start each point's
/// hover text. `unit` is singular (`ticket`).
#[component]
pub fn LineChart(
    title: String,
    labels: Vec<String>,
    hover_labels: Vec<String>,
    series: Vec<Series>,
    y_title: &'static str,
    x_title: &'static str,
    unit: &'static str,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let count = labels.len();
    let max = series
        .iter()
        .flat_map(|series| series.values.iter().copied())
        .fold(0.0, f64::max);
    let scale = scale(max, 5);
    let plot_width = WIDTH - LEFT - RIGHT;
    let x = move |at: usize| {
        if count <= 1 {
            LEFT + plot_width / 2.0
        } else {
            LEFT + plot_width * at as f64 / (count - 1) as f64
        }
    };
    let every = label_every(count, 8);
    let radius = if count > 45 { 2.5 } else { 3.5 };
    let x_ticks = labels
        .iter()
        .enumerate()
        .filter(|(at, _)| at % every == 0)
        .map(|(at, label)| {
            let x = x(at);
            view! {
                <line class="tick-mark" x1=x x2=x y1=HEIGHT - BOTTOM y2=HEIGHT - BOTTOM + 4.0></line>
                <text class="tick" x=x y=HEIGHT - BOTTOM + 17.0 text-anchor="middle">{label.clone()}</text>
            }
        })
        .collect_view();
    let lines = series
        .iter()
        .map(|line| {
            let points = line
                .values
                .iter()
                .enumerate()
                .map(|(at, value)| format!("{:.1},{:.1}", x(at), scale.y(*value)))
                .collect::<Vec<_>>()
                .join(" ");
            let dots = line
                .values
                .iter()
                .enumerate()
                .map(|(at, value)| {
                    let hover = format!(
                        "{}: {} {}",
                        hover_labels.get(at).cloned().unwrap_or_default(),
                        counted(*value, unit),
                        line.name.to_lowercase()
                    );
                    view! {
                        <circle class="point" cx=x(at) cy=scale.y(*value) r=radius>
                            <title>{hover}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <g class=format!("series {}", line.class) data-series=line.name.clone()>
                    <polyline class="line" points=points></polyline>
                    {dots}
                </g>
            }
        })
        .collect_view();
    let legend = series
        .iter()
        .map(|line| {
            view! {
                <span class="legend-item">
                    <span class=format!("swatch {}", line.class) aria-hidden="true"></span>
                    {line.name.clone()}
                </span>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>
                <span class="chart-title" data-testid=format!("{testid}-title")>{title}</span>
                <span class="legend">{legend}</span>
            </figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                {y_axis(scale, y_title)}
                <g class="axis x-axis">{x_ticks} {x_axis_line_and_title(x_title)}</g>
                {lines}
            </svg>
        </figure>
    }
}

/// One bar per category, coloured by its class, with the exact value written above it.
#[component]
pub fn BarChart(
    title: String,
    bars: Vec<Bar>,
    y_title: &'static str,
    x_title: &'static str,
    unit: &'static str,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    let max = bars.iter().map(|bar| bar.value).fold(0.0, f64::max);
    let scale = scale(max, 5);
    let slot = (WIDTH - LEFT - RIGHT) / bars.len().max(1) as f64;
    let width = (slot * 0.6).min(72.0);
    let drawn = bars
        .iter()
        .enumerate()
        .map(|(at, bar)| {
            let center = LEFT + slot * (at as f64 + 0.5);
            let top = scale.y(bar.value);
            let height = (HEIGHT - BOTTOM - top).max(0.0);
            let hover = format!("{}: {}", bar.label, counted(bar.value, unit));
            view! {
                <g class=format!("bar-group {}", bar.class)>
                    <rect class="bar" x=center - width / 2.0 y=top width=width height=height
                        data-label=bar.label.clone() data-value=number(bar.value)>
                        <title>{hover.clone()}</title>
                    </rect>
                    // A thin bar is hard to point at: the whole column answers the hover too.
                    <rect class="bar-hit" x=center - slot / 2.0 y=TOP width=slot height=HEIGHT - TOP - BOTTOM>
                        <title>{hover}</title>
                    </rect>
                    <text class="value" x=center y=top - 6.0 text-anchor="middle">{number(bar.value)}</text>
                    <text class="tick" x=center y=HEIGHT - BOTTOM + 17.0 text-anchor="middle">{bar.label.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let label = title.clone();
    view! {
        <figure class="chart" data-testid=testid>
            <figcaption>
                <span class="chart-title" data-testid=format!("{testid}-title")>{title}</span>
            </figcaption>
            <svg class="chart-svg" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                {y_axis(scale, y_title)}
                <g class="axis x-axis">{x_axis_line_and_title(x_title)}</g>
                {drawn}
            </svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_to_round_steps() {
        assert_eq!(scale(0.0, 5), Scale { top: 4.0, step: 1.0 });
        assert_eq!(scale(3.0, 5), Scale { top: 3.0, step: 1.0 });
        assert_eq!(scale(7.0, 5), Scale { top: 8.0, step: 2.0 });
        assert_eq!(scale(23.0, 5), Scale { top: 25.0, step: 5.0 });
        assert_eq!(scale(140.0, 5), Scale { top: 150.0, step: 50.0 });
        assert_eq!(scale(7.0, 5).ticks(), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
    }

    #[test]
    fn writes_counts() {
        assert_eq!(counted(1.0, "ticket"), "1 ticket");
        assert_eq!(counted(4.0, "ticket"), "4 tickets");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(label_every(90, 8), 12);
        assert_eq!(label_every(7, 8), 1);
    }
}
