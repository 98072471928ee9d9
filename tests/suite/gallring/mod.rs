//! Gallring: which case files go and which are kept (`case_files`), RunGallring's dry and real runs with their
//! audit (`run`), and a whole case with every per-household table removed (`whole_case`).

mod case_files;
mod run;
mod whole_case;
