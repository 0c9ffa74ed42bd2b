//! For the benchmark binaries (`ai-eval`, `suggest-eval`, `prior`): reading the columns they need
//! out of a labelled CSV file, whatever else the file holds.

use std::path::Path;

/// The named columns of every record, in the order named; a record missing one is skipped. A file
/// without one of the columns is an error that says which columns it has.
pub fn read_columns(path: &Path, names: &[&str]) -> Result<Vec<Vec<String>>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let positions = names
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h == *name)
                .ok_or_else(|| format!("{}: no column {name:?} (has {headers:?})", path.display()))
        })
        .collect::<Result<Vec<usize>, String>>()?;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let row: Option<Vec<String>> = positions.iter().map(|&at| record.get(at).map(str::to_owned)).collect();
        rows.extend(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_named_columns_in_order_and_names_a_missing_one() {
        let path = std::env::temp_dir().join(format!("ferrodesk-eval-{}.csv", std::process::id()));
        std::fs::write(&path, "id,text,category\n1,\"two\nlines\",billing\n2,short,other\n").unwrap();
        let rows = read_columns(&path, &["category", "text"]).unwrap();
        assert_eq!(rows, [vec!["billing", "two\nlines"], vec!["other", "short"]]);
        let missing = read_columns(&path, &["text", "intent"]).unwrap_err();
        assert!(missing.contains("no column \"intent\""), "{missing}");
        std::fs::remove_file(path).unwrap();
    }
}
