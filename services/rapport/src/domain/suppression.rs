//! Suppression of small counts in statistics so no person can be identified:
//! primary suppression of every count below the threshold, and secondary
//! suppression so no suppressed count can be recovered by subtraction.
//!
//! The rule enforced is: in every *line* (a group of cells together with its
//! shown or suppressed total) the number of suppressed entries is never exactly
//! one. With two or more unknowns in a line, `total − shown` only gives their
//! sum. When a line has exactly one suppressed entry, the smallest shown cell of
//! the line is suppressed as well (ties: the first), or, if no cell is left,
//! the total. Zero counts are below the threshold and are suppressed too.
//!
//! For two-way tables this is the usual line-by-line heuristic; it guarantees
//! that no single line reveals a value, not that no combination of lines does.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Default threshold: counts of fewer than 5 people are suppressed.
pub const DEFAULT_THRESHOLD: u64 = 5;

/// A published count: shown, or suppressed (displayed as `<5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Figure {
    /// The exact count.
    Shown(u64),
    /// Hidden to protect individuals.
    Suppressed,
}

impl Figure {
    /// The shown value, if any.
    pub fn shown(self) -> Option<u64> {
        match self {
            Figure::Shown(v) => Some(v),
            Figure::Suppressed => None,
        }
    }

    /// Whether the figure is suppressed.
    pub fn is_suppressed(self) -> bool {
        self == Figure::Suppressed
    }

    /// Text for display and CSV, with suppressed figures as `<{threshold}`.
    pub fn display(self, threshold: u64) -> String {
        match self {
            Figure::Shown(v) => v.to_string(),
            Figure::Suppressed => format!("<{threshold}"),
        }
    }

    /// Applies primary suppression to a single stand-alone count.
    pub fn from_count(count: u64, threshold: u64) -> Figure {
        if count < threshold { Figure::Suppressed } else { Figure::Shown(count) }
    }
}

impl fmt::Display for Figure {
    /// Displays with the default threshold (`<5`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display(DEFAULT_THRESHOLD))
    }
}

/// A one-way table after suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedGroup {
    /// Cells in input order.
    pub cells: Vec<Figure>,
    /// The total (sum of the cells).
    pub total: Figure,
}

/// A two-way table after suppression.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressedGrid {
    /// Cells, row by row, in input order.
    pub cells: Vec<Vec<Figure>>,
    /// Row sums.
    pub row_totals: Vec<Figure>,
    /// Column sums.
    pub column_totals: Vec<Figure>,
    /// Sum of all cells.
    pub grand_total: Figure,
}

/// Rows of a grid have different lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("row {row} has {found} cells, expected {expected}")]
pub struct RaggedGrid {
    /// Zero-based row index.
    pub row: usize,
    /// Cells in the first row.
    pub expected: usize,
    /// Cells in this row.
    pub found: usize,
}

/// Enforces "never exactly one suppressed entry per line". Each line lists
/// indices into `values`, the total last. Returns when stable.
fn secondary(values: &[u64], suppressed: &mut [bool], lines: &[Vec<usize>]) {
    loop {
        let mut changed = false;
        for line in lines {
            if line.len() < 2 {
                continue;
            }
            let count = line.iter().filter(|&&i| suppressed[i]).count();
            if count != 1 {
                continue;
            }
            let Some((total, cells)) = line.split_last() else {
                continue;
            };
            let pick = cells.iter().copied().filter(|&i| !suppressed[i]).min_by_key(|&i| values[i]).unwrap_or(*total);
            suppressed[pick] = true;
            changed = true;
        }
        if !changed {
            return;
        }
    }
}

fn to_figure(value: u64, suppressed: bool) -> Figure {
    if suppressed { Figure::Suppressed } else { Figure::Shown(value) }
}

/// Suppresses a one-way table of counts whose total is their sum.
pub fn suppress(cells: &[u64], threshold: u64) -> SuppressedGroup {
    let total: u64 = cells.iter().fold(0u64, |a, v| a.saturating_add(*v));
    let mut values = cells.to_vec();
    values.push(total);
    let mut supp: Vec<bool> = values.iter().map(|v| *v < threshold).collect();
    if cells.is_empty() {
        // An empty table has nothing to protect; its total is trivially 0.
        supp[0] = false;
    }
    let line: Vec<usize> = (0..values.len()).collect();
    secondary(&values, &mut supp, &[line]);
    SuppressedGroup {
        cells: cells.iter().zip(&supp).map(|(v, s)| to_figure(*v, *s)).collect(),
        total: to_figure(total, supp[cells.len()]),
    }
}

/// Suppresses a two-way table (rows of equal length) with row, column and grand totals.
pub fn suppress_grid(rows: &[Vec<u64>], threshold: u64) -> Result<SuppressedGrid, RaggedGrid> {
    let r = rows.len();
    let c = rows.first().map_or(0, Vec::len);
    if let Some((row, found)) = rows.iter().map(Vec::len).enumerate().find(|(_, l)| *l != c) {
        return Err(RaggedGrid { row, expected: c, found });
    }
    // Extended (r+1) x (c+1) matrix: last column row totals, last row column totals.
    let w = c + 1;
    let idx = |i: usize, j: usize| i * w + j;
    let mut values = vec![0u64; (r + 1) * w];
    for (i, row) in rows.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            values[idx(i, j)] = *v;
            values[idx(i, c)] = values[idx(i, c)].saturating_add(*v);
            values[idx(r, j)] = values[idx(r, j)].saturating_add(*v);
            values[idx(r, c)] = values[idx(r, c)].saturating_add(*v);
        }
    }
    let mut supp: Vec<bool> = values.iter().map(|v| *v < threshold).collect();
    if r == 0 || c == 0 {
        // Nothing to protect in an empty table; its totals are trivially 0.
        supp.iter_mut().for_each(|s| *s = false);
    }
    let mut lines: Vec<Vec<usize>> = Vec::with_capacity(r + c + 2);
    for i in 0..=r {
        lines.push((0..=c).map(|j| idx(i, j)).collect());
    }
    for j in 0..=c {
        lines.push((0..=r).map(|i| idx(i, j)).collect());
    }
    if r > 0 && c > 0 {
        secondary(&values, &mut supp, &lines);
    }
    let fig = |i: usize, j: usize| to_figure(values[idx(i, j)], supp[idx(i, j)]);
    Ok(SuppressedGrid {
        cells: (0..r).map(|i| (0..c).map(|j| fig(i, j)).collect()).collect(),
        row_totals: (0..r).map(|i| fig(i, c)).collect(),
        column_totals: (0..c).map(|j| fig(r, j)).collect(),
        grand_total: fig(r, c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Figure::{Shown, Suppressed};
    use proptest::prelude::*;

    #[test]
    fn nothing_small_nothing_hidden() {
        let g = suppress(&[10, 20, 30], 5);
        assert_eq!(g.cells, vec![Shown(10), Shown(20), Shown(30)]);
        assert_eq!(g.total, Shown(60));
    }

    #[test]
    fn single_small_cell_gets_a_partner() {
        let g = suppress(&[12, 3, 40, 8], 5);
        assert_eq!(g.cells, vec![Shown(12), Suppressed, Shown(40), Suppressed]);
        assert_eq!(g.total, Shown(63));
    }

    #[test]
    fn two_small_cells_are_enough() {
        let g = suppress(&[2, 3, 40], 5);
        assert_eq!(g.cells, vec![Suppressed, Suppressed, Shown(40)]);
        assert_eq!(g.total, Shown(45));
    }

    #[test]
    fn zero_is_suppressed_and_single_cell_hides_total() {
        let g = suppress(&[0, 9], 5);
        assert_eq!(g.cells, vec![Suppressed, Suppressed]);
        let g = suppress(&[3], 5);
        assert_eq!((g.cells, g.total), (vec![Suppressed], Suppressed));
        let g = suppress(&[1, 2], 5);
        assert_eq!(g.total, Suppressed);
        let g = suppress(&[], 5);
        assert_eq!(g.total, Shown(0));
    }

    #[test]
    fn display() {
        assert_eq!(Suppressed.to_string(), "<5");
        assert_eq!(Shown(57).to_string(), "57");
        assert_eq!(Suppressed.display(3), "<3");
        assert_eq!(Figure::from_count(4, 5), Suppressed);
    }

    #[test]
    fn grid_example() {
        let g = suppress_grid(&[vec![20, 3, 15], vec![18, 22, 30]], 5).expect("rect");
        // Row 0 has one small cell: its smallest other cell (15) goes too; then the
        // columns of 3 and 15 each have one suppressed, so their row-1 cells go.
        assert_eq!(g.cells[0], vec![Shown(20), Suppressed, Suppressed]);
        assert_eq!(g.cells[1], vec![Shown(18), Suppressed, Suppressed]);
        assert_eq!(g.row_totals, vec![Shown(38), Shown(70)]);
        assert_eq!(g.grand_total, Shown(108));
        assert_eq!(suppress_grid(&[vec![1, 2], vec![3]], 5), Err(RaggedGrid { row: 1, expected: 2, found: 1 }));
    }

    fn assert_line(values: &[u64], figs: &[Figure], threshold: u64) -> Result<(), TestCaseError> {
        for (v, f) in values.iter().zip(figs) {
            match f {
                Shown(s) => {
                    prop_assert_eq!(s, v);
                    prop_assert!(*v >= threshold);
                }
                Suppressed => {}
            }
        }
        if figs.len() >= 2 {
            let n = figs.iter().filter(|f| f.is_suppressed()).count();
            prop_assert_ne!(n, 1, "exactly one suppressed entry in {:?}", figs);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn no_single_suppressed_cell_is_recoverable(
            cells in proptest::collection::vec(0u64..40, 0..12),
            threshold in 0u64..8,
        ) {
            let g = suppress(&cells, threshold);
            prop_assert_eq!(g.cells.len(), cells.len());
            let total: u64 = cells.iter().sum();
            let mut values = cells.clone();
            values.push(total);
            let mut figs = g.cells.clone();
            figs.push(g.total);
            if !cells.is_empty() {
                assert_line(&values, &figs, threshold)?;
            }
            // The attack itself: with a shown total, total − shown never pins one cell.
            if let Shown(t) = g.total {
                let shown: u64 = g.cells.iter().filter_map(|f| f.shown()).sum();
                let hidden = g.cells.iter().filter(|f| f.is_suppressed()).count();
                prop_assert!(hidden != 1);
                prop_assert!(t >= shown);
            }
        }

        #[test]
        fn grid_lines_never_have_one_suppressed(
            (rows, threshold) in (1usize..5, 1usize..5).prop_flat_map(|(r, c)| (
                proptest::collection::vec(proptest::collection::vec(0u64..30, c), r),
                0u64..8,
            )),
        ) {
            let g = suppress_grid(&rows, threshold).expect("rectangular");
            let c = rows[0].len();
            for (i, row) in rows.iter().enumerate() {
                let mut values = row.clone();
                values.push(row.iter().sum());
                let mut figs = g.cells[i].clone();
                figs.push(g.row_totals[i]);
                assert_line(&values, &figs, threshold)?;
            }
            for j in 0..c {
                let mut values: Vec<u64> = rows.iter().map(|r| r[j]).collect();
                values.push(values.iter().sum());
                let mut figs: Vec<Figure> = g.cells.iter().map(|r| r[j]).collect();
                figs.push(g.column_totals[j]);
                assert_line(&values, &figs, threshold)?;
            }
            let mut values: Vec<u64> = rows.iter().map(|r| r.iter().sum()).collect();
            values.push(values.iter().sum());
            let mut figs = g.row_totals.clone();
            figs.push(g.grand_total);
            assert_line(&values, &figs, threshold)?;
            let mut values: Vec<u64> = (0..c).map(|j| rows.iter().map(|r| r[j]).sum()).collect();
            values.push(values.iter().sum());
            let mut figs = g.column_totals.clone();
            figs.push(g.grand_total);
            assert_line(&values, &figs, threshold)?;
        }
    }
}
