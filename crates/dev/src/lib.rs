//! Development tools for Ferrodesk, never part of the server: the throwaway databases the tests and
//! the benchmarks run on, and the bulk seeder behind `seed-scale`.

pub mod scale;
pub mod throwaway;

pub use throwaway::ThrowawayDatabase;
