//! Text ids matched to each other: duplicates within a table, and a
//! table's ids looked up among another's (payments -> invoices, every table
//! -> customers).
//!
//! Ids that never descend (byte order, no null), as exports sorted by their
//! key and our generator write them, are matched by walking neighbours: a
//! duplicate sits next to its first occurrence, and a sorted probe is
//! merged with the sorted ids in parallel slices, each started by a binary
//! search. Nothing is hashed. On the 100k book this replaced ~0.3 s of
//! hashing and sorting per 8.4M-row table (docs/performance.md).
//!
//! Otherwise every id is hashed once (in parallel) and the (hash, position)
//! pairs are sorted; equal ids then sit in runs of equal hashes. Looking up
//! among many known ids is a merge of two sorted lists, walked in parallel
//! over slices of the hash space, every pairing confirmed on the text;
//! among few (up to [`SMALL`]), a hash map of the known ids, which stays in
//! cache, is probed in parallel. On the 100k book the payments check (8.6M
//! payments against 8.4M invoices) went from 2.5-3.2 s with Polars' left
//! join on the text column to 0.5-1.0 s; see docs/performance.md.
//!
//! Every way gives the same answers: they do not depend on the order of the
//! input, the hash values, the hash seed or the thread count.

use std::hash::BuildHasher;
use std::sync::OnceLock;

use polars::prelude::*;
use rayon::prelude::*;

/// A 64-bit hash of an id that depends on the id alone: not on its row (a
/// book cut at an earlier day or sampled has other row numbers), not on the
/// process or the Rust version (unlike the hashers above): the first 8
/// bytes of its SHA-256. It seeds each invoice's forecast draws and picks
/// the customers of a training sample.
pub fn stable_hash(id: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(id.as_bytes());
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// The seed of an invoice's forecast draws: XXH3-64 of its id, a hash whose
/// value is fixed by its specification (not by the process, platform or
/// crate version), cheap enough for every invoice at ingest (about 5 ns
/// an id, where SHA-256 takes ~100 ns).
pub fn invoice_seed(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// Every id of `ids` as its [`invoice_seed`], in row order (null stays null),
/// hashed in parallel.
pub fn invoice_seeds(ids: &StringChunked, name: PlSmallStr) -> UInt64Chunked {
    let ids = ids.rechunk();
    let texts = ids.downcast_as_array();
    if ids.null_count() > 0 {
        return (0..texts.len())
            .map(|i| texts.get(i).map(invoice_seed))
            .collect::<UInt64Chunked>()
            .with_name(name);
    }
    let seeds: Vec<u64> = (0..texts.len())
        .into_par_iter()
        .map(|i| invoice_seed(texts.value(i)))
        .collect();
    UInt64Chunked::from_vec(name, seeds)
}

/// One chunk of a text column.
type Texts = <StringType as PolarsDataType>::Array;

/// Id `i` of `a` against id `j` of `b`, in byte order (as `str` orders
/// them), read through their Arrow views as Polars' own view kernels do:
/// a view holds the id's length and first 4 bytes, and an id of at most
/// 12 bytes whole, zero-padded. So ids that differ in their first 4 bytes,
/// and short ids such as customer ids, are ordered by integer compares
/// alone; only longer ids sharing their first 4 bytes read their bytes.
/// (Comparing the `str`s called `memcmp` for every pair: ~6% of a 100k
/// `run`'s CPU, session 14.)
#[inline]
fn cmp_ids(a: &Texts, i: usize, b: &Texts, j: usize) -> std::cmp::Ordering {
    let (va, vb) = (a.views()[i].as_u128(), b.views()[j].as_u128());
    // Bytes in the order they are compared: the first byte most significant.
    let be32 = |v: u128| u32::from_be_bytes(((v >> 32) as u32).to_le_bytes());
    let be64 = |v: u128| u64::from_be_bytes(((v >> 64) as u64).to_le_bytes());
    let (pa, pb) = (be32(va), be32(vb));
    if pa != pb {
        // Padding zeros sort below any byte, as a shorter id below a longer
        // one it starts.
        return pa.cmp(&pb);
    }
    let (la, lb) = (va as u32, vb as u32);
    if la <= 12 && lb <= 12 {
        // Both whole in their views: bytes 4-12, then the length.
        return be64(va).cmp(&be64(vb)).then(la.cmp(&lb));
    }
    bytes_cmp(a.value(i).as_bytes(), b.value(j).as_bytes())
}

/// `a.cmp(b)`, 8 bytes at a time: for ids of a few dozen bytes, the call
/// to `memcmp` that comparing slices makes costs more than the comparison.
#[inline]
fn bytes_cmp(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let (mut x, mut y) = (a.chunks_exact(8), b.chunks_exact(8));
    for (p, q) in (&mut x).zip(&mut y) {
        let p = u64::from_be_bytes(p.try_into().expect("8 bytes"));
        let q = u64::from_be_bytes(q.try_into().expect("8 bytes"));
        if p != q {
            return p.cmp(&q);
        }
    }
    let n = a.len().min(b.len()) / 8 * 8;
    a[n..].iter().cmp(b[n..].iter())
}

/// A position in [`IdIndex::lookup_in_order`]'s answer: the id is not there.
const NOT_FOUND: IdxSize = IdxSize::MAX;

/// Up to this many known ids, [`IdIndex::lookup`] probes a hash map instead
/// of merging sorted hashes.
const SMALL: usize = 1 << 20;

/// The ids of one column: built once, probed by [`IdIndex::lookup`].
pub struct IdIndex<S = PlRandomState> {
    /// As given, in as many chunks as read: ascending ids that are only
    /// checked for duplicates are never copied.
    ids: StringChunked,
    /// `ids` in one chunk, made on first need (positions are then plain
    /// offsets): for lookups among them and for hashing.
    one_chunk: OnceLock<StringChunked>,
    state: S,
    /// When the ids have no null and never descend (byte order): the
    /// positions whose id equals the one before (few, usually none), found
    /// in the same pass as the order. `None` otherwise.
    repeats: Option<Vec<usize>>,
    /// (hash, position) of every id, sorted; null ids are left out. Built
    /// on first use: ascending ids need it only for an unsorted probe.
    hashed: OnceLock<Vec<(u64, u32)>>,
}

impl IdIndex {
    pub fn new(ids: &StringChunked) -> Self {
        Self::with_hasher(ids, PlRandomState::default())
    }
}

impl<S: BuildHasher + Sync + Clone> IdIndex<S> {
    /// Any hasher gives the same answers; only the speed depends on it.
    pub fn with_hasher(ids: &StringChunked, state: S) -> Self {
        let repeats = in_order(ids, true);
        Self {
            ids: ids.clone(),
            one_chunk: OnceLock::new(),
            state,
            repeats,
            hashed: OnceLock::new(),
        }
    }

    /// The same index holding its ids in one chunk only (a multi-chunk
    /// column would otherwise be kept twice: as given, and copied into one
    /// chunk on the first lookup). The caller drops its own copy of the
    /// column to gain the memory: positions and answers are unchanged.
    pub fn in_one_chunk(mut self) -> Self {
        if self.ids.chunks().len() > 1 {
            self.ids = match self.one_chunk.take() {
                Some(single) => single,
                None => self.ids.rechunk().into_owned(),
            };
        }
        self
    }

    /// Whether the ids hold no null and never descend (byte order).
    fn ascending(&self) -> bool {
        self.repeats.is_some()
    }

    /// The indexed ids, as given or (after [`Self::in_one_chunk`]) in one
    /// chunk.
    pub fn ids(&self) -> &StringChunked {
        &self.ids
    }

    /// The ids in one chunk.
    fn single(&self) -> &StringChunked {
        match self.ids.chunks().len() <= 1 {
            true => &self.ids,
            false => self
                .one_chunk
                .get_or_init(|| self.ids.rechunk().into_owned()),
        }
    }

    /// The (hash, position) pairs, sorted, built the first time.
    fn hashed(&self) -> &[(u64, u32)] {
        self.hashed
            .get_or_init(|| sorted_hashes(self.single(), &self.state))
    }

    /// For each value of `probe`: the position in the indexed column of an
    /// equal id (the first, if the indexed ids repeat), or null for a null
    /// or an id not there; the column is called `name`.
    pub fn lookup(&self, probe: &StringChunked, name: PlSmallStr) -> IdxCa {
        if self.ascending() && never_descending(probe) {
            let found = self.lookup_in_order(probe);
            if !found.contains(&NOT_FOUND) {
                // Every id found (the usual case): the positions as they are.
                return IdxCa::from_vec(name, found);
            }
            return IdxCa::from_iter_options(
                name,
                found.into_iter().map(|p| (p != NOT_FOUND).then_some(p)),
            );
        }
        let probe = probe.rechunk();
        let found = match self.ids.len() <= SMALL {
            true => self.lookup_in_map(&probe),
            false => self.lookup_by_merge(&probe),
        };
        IdxCa::from_iter_options(name, found.into_iter())
    }

    /// [`Self::lookup`] for ascending ids and a probe that never descends
    /// (in any number of chunks): each slice of a probe chunk finds its
    /// start among the ids by binary search, then walks both in step. The
    /// first of repeated ids is found, as the search stops at the first
    /// not below. Positions, [`NOT_FOUND`] for an id not there.
    fn lookup_in_order(&self, probe: &StringChunked) -> Vec<IdxSize> {
        let known = self.single().downcast_as_array();
        let mut found = vec![NOT_FOUND; probe.len()];
        let mut rest = found.as_mut_slice();
        for texts in probe.downcast_iter() {
            let (out, after) = rest.split_at_mut(texts.len());
            rest = after;
            Self::walk_in_order(known, texts, out);
        }
        found
    }

    /// [`Self::lookup_in_order`] of one probe chunk into `found`.
    fn walk_in_order(known: &Texts, texts: &Texts, found: &mut [IdxSize]) {
        let slice = texts
            .len()
            .div_ceil(rayon::current_num_threads() * 4)
            .max(1);
        found
            .par_chunks_mut(slice)
            .enumerate()
            .for_each(|(part, out)| {
                let start = part * slice;
                let (mut lo, mut hi) = (0, known.len());
                let below = |k: usize, at: usize| cmp_ids(known, k, texts, at).is_lt();
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    match below(mid, start) {
                        true => lo = mid + 1,
                        false => hi = mid,
                    }
                }
                let mut k = lo;
                for (j, position) in out.iter_mut().enumerate() {
                    let at = start + j;
                    // One comparison tells both whether to step on and
                    // whether the id is found.
                    while k < known.len() {
                        match cmp_ids(known, k, texts, at) {
                            std::cmp::Ordering::Less => k += 1,
                            std::cmp::Ordering::Equal => {
                                *position = k as IdxSize;
                                break;
                            }
                            std::cmp::Ordering::Greater => break,
                        }
                    }
                }
            });
    }

    /// [`Self::lookup`] by merging sorted hashes, for many known ids (the
    /// module docs); `probe` in one chunk.
    fn lookup_by_merge(&self, probe: &StringChunked) -> Vec<Option<IdxSize>> {
        let wanted = sorted_hashes(probe, &self.state);
        let texts = probe.downcast_as_array();
        let known = self.single().downcast_as_array();
        let build = self.hashed();
        // The top bits of a hash pick a slice; both lists are cut at the
        // same hashes, so each slice is merged on its own. The merge only
        // pairs hashes (texts are read in probe order afterwards, which
        // is many times faster than reading them in hash order), except
        // where different known ids share a hash.
        const SLICE_BITS: u32 = 8;
        let cut = |list: &[(u64, u32)], slice: u64| -> std::ops::Range<usize> {
            let at = |s: u64| match s < 1 << SLICE_BITS {
                true => list.partition_point(|p| p.0 < s << (64 - SLICE_BITS)),
                false => list.len(),
            };
            at(slice)..at(slice + 1)
        };
        let pairs: Vec<Vec<(u32, u32)>> = (0..1 << SLICE_BITS)
            .into_par_iter()
            .map(|slice| {
                let known_slice = &build[cut(build, slice)];
                let mut out = Vec::new();
                let mut k = 0;
                for &(hash, at) in &wanted[cut(&wanted, slice)] {
                    while k < known_slice.len() && known_slice[k].0 < hash {
                        k += 1;
                    }
                    let run = known_slice[k..].iter().take_while(|p| p.0 == hash);
                    let candidate = match run.clone().nth(1) {
                        None => run.clone().next(),
                        Some(_) => {
                            let text = texts.get(at as usize);
                            run.clone().find(|p| known.get(p.1 as usize) == text)
                        }
                    };
                    if let Some(&(_, position)) = candidate {
                        out.push((at, position));
                    }
                }
                out
            })
            .collect();
        let mut found = vec![None; probe.len()];
        for (at, position) in pairs.into_iter().flatten() {
            found[at as usize] = Some(position as IdxSize);
        }
        // Confirm every pairing on the text: equal hashes, different ids.
        found.par_iter_mut().enumerate().for_each(|(at, position)| {
            if let Some(p) = *position {
                if known.get(p as usize) != texts.get(at) {
                    *position = None;
                }
            }
        });
        found
    }

    /// [`Self::lookup`] through a hash map of the indexed ids, probed in
    /// parallel: for a few known ids (a map that stays in cache, such as
    /// 100k customers) this beats sorting millions of probes. `probe` in
    /// one chunk.
    fn lookup_in_map(&self, probe: &StringChunked) -> Vec<Option<IdxSize>> {
        let known = self.single().downcast_as_array();
        let mut map: std::collections::HashMap<&str, IdxSize, S> =
            std::collections::HashMap::with_capacity_and_hasher(known.len(), self.state.clone());
        for (position, id) in known.iter().enumerate() {
            if let Some(id) = id {
                map.entry(id).or_insert(position as IdxSize);
            }
        }
        let texts = probe.downcast_as_array();
        (0..texts.len())
            .into_par_iter()
            .map(|i| texts.get(i).and_then(|t| map.get(t).copied()))
            .collect()
    }

    /// Every position holding an id seen at an earlier position, with the
    /// row (from `rows`) of the first: (position, first row), by position;
    /// empty when no id repeats (the usual case, so nothing the length of
    /// the table is built). `rows` must ascend with position.
    pub fn duplicates(&self, rows: &IdxCa) -> Vec<(IdxSize, IdxSize)> {
        let mut out = Vec::new();
        let row = |position: usize| rows.get(position).expect("a row per id");
        if let Some(repeats) = &self.repeats {
            // Equal ids are neighbours; a run's first is its first occurrence.
            let mut run_start = 0;
            for (k, &at) in repeats.iter().enumerate() {
                if k == 0 || repeats[k - 1] != at - 1 {
                    run_start = at - 1;
                }
                out.push((at as IdxSize, row(run_start)));
            }
            return out;
        }
        let texts = self.single().downcast_as_array();
        for run in self
            .hashed()
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|run| run.len() > 1)
        {
            // Positions ascend within a run (the pairs are sorted).
            for (j, &(_, pos)) in run.iter().enumerate() {
                let id = texts.get(pos as usize);
                if let Some(&(_, earlier)) =
                    run[..j].iter().find(|(_, p)| texts.get(*p as usize) == id)
                {
                    out.push((pos, row(earlier as usize)));
                }
            }
        }
        // Runs come in hash order.
        out.sort_unstable();
        out
    }
}

/// True when `ids` hold no null and never descend in byte order, within
/// and across chunks. Stops at the first descent, so unsorted ids cost
/// little.
fn never_descending(ids: &StringChunked) -> bool {
    in_order(ids, false).is_some()
}

/// [`never_descending`], and, when they never descend, with `repeats`,
/// the positions whose id equals the one before (else an empty list):
/// one parallel pass over the ids for both (a second pass for the
/// repeats took ~30 ms per 8.4M-row table at 100k: streaming the ids
/// from memory again).
fn in_order(ids: &StringChunked, repeats: bool) -> Option<Vec<usize>> {
    if ids.null_count() > 0 {
        return None;
    }
    /// A descent: not in order.
    struct Descends;
    let mut out = Vec::new();
    let (mut start, mut last): (usize, Option<(&Texts, usize)>) = (0, None);
    for texts in ids.downcast_iter().filter(|t| t.len() > 0) {
        if let Some((p, pi)) = last {
            match cmp_ids(p, pi, texts, 0) {
                std::cmp::Ordering::Less => {}
                std::cmp::Ordering::Equal => out.extend(repeats.then_some(start)),
                std::cmp::Ordering::Greater => return None,
            }
        }
        let within: Result<Vec<usize>, Descends> = (1..texts.len())
            .into_par_iter()
            .filter_map(|at| match cmp_ids(texts, at - 1, texts, at) {
                std::cmp::Ordering::Less => None,
                std::cmp::Ordering::Equal => repeats.then_some(Ok(start + at)),
                std::cmp::Ordering::Greater => Some(Err(Descends)),
            })
            .collect();
        out.extend(within.ok()?);
        last = Some((texts, texts.len() - 1));
        start += texts.len();
    }
    Some(out)
}

/// (hash, position) of every non-null id of the single-chunk `ids`, sorted.
fn sorted_hashes(ids: &StringChunked, state: &(impl BuildHasher + Sync)) -> Vec<(u64, u32)> {
    let started = std::time::Instant::now();
    let texts = ids.downcast_as_array();
    let mut pairs: Vec<(u64, u32)> = if ids.null_count() == 0 {
        (0..ids.len())
            .into_par_iter()
            .map(|i| (state.hash_one(texts.value(i)), i as u32))
            .collect()
    } else {
        (0..ids.len())
            .into_par_iter()
            .filter_map(|i| texts.get(i).map(|t| (state.hash_one(t), i as u32)))
            .collect()
    };
    let hashed = started.elapsed();
    // Tried: spreading the pairs into ~16k-pair buckets by their top bits
    // and sorting each in cache. Slower here (the counting pass and the
    // scatter run on one thread): 0.31-0.59 s against 0.33-0.40 s.
    pairs.par_sort_unstable();
    tracing::debug!(
        ids = pairs.len(),
        hash_ms = hashed.as_millis() as u64,
        ms = started.elapsed().as_millis() as u64,
        "ids hashed and sorted"
    );
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoice_seeds_are_xxh3_of_the_id_in_row_order_across_chunks() {
        // XXH3-64 of empty input, seed 0: the value in xxHash's own sanity
        // test vectors (tests/sanity_test_vectors.h, len 0), 0x2D06800538D394C2.
        assert_eq!(invoice_seed(""), 0x2D06_8005_38D3_94C2);
        let mut ids = StringChunked::new("id".into(), [Some("I1"), None]);
        ids.append(&StringChunked::new("id".into(), [Some("I2"), Some("I1")]))
            .unwrap();
        assert_eq!(ids.chunks().len(), 2);
        let seeds: Vec<Option<u64>> = invoice_seeds(&ids, "seed".into()).iter().collect();
        let (a, b) = (invoice_seed("I1"), invoice_seed("I2"));
        assert_ne!(a, b);
        assert_eq!(seeds, [Some(a), None, Some(b), Some(a)]);
        // Without nulls (every invoice id, once validated): the same values.
        let mut ids = StringChunked::new("id".into(), ["I1"]);
        ids.append(&StringChunked::new("id".into(), ["I2", "I1"]))
            .unwrap();
        let seeds: Vec<Option<u64>> = invoice_seeds(&ids, "seed".into()).iter().collect();
        assert_eq!(seeds, [Some(a), Some(b), Some(a)]);
    }

    /// Every way of looking up that applies (the hash map, the merge of
    /// sorted hashes, the walk in order) gives the same answer, returned.
    fn both<S: BuildHasher + Sync + Clone>(
        index: &IdIndex<S>,
        probe: &StringChunked,
    ) -> Vec<Option<IdxSize>> {
        let probe = probe.rechunk();
        let by_map = index.lookup_in_map(&probe);
        assert_eq!(by_map, index.lookup_by_merge(&probe));
        if index.ascending() && never_descending(&probe) {
            let in_order: Vec<Option<IdxSize>> = index
                .lookup_in_order(&probe)
                .into_iter()
                .map(|p| (p != NOT_FOUND).then_some(p))
                .collect();
            assert_eq!(by_map, in_order);
        }
        assert_eq!(by_map, looked_up(index, &probe));
        by_map
    }

    /// [`IdIndex::lookup`]'s answer as options.
    fn looked_up<S: BuildHasher + Sync + Clone>(
        index: &IdIndex<S>,
        probe: &StringChunked,
    ) -> Vec<Option<IdxSize>> {
        index.lookup(probe, "key".into()).iter().collect()
    }

    impl<S> IdIndex<S> {
        /// The same index made to hash, as for unsorted ids.
        fn hashed_only(mut self) -> Self {
            self.repeats = None;
            self
        }
    }

    fn ids(values: &[Option<&str>]) -> StringChunked {
        StringChunked::from_iter_options("id".into(), values.iter().copied())
    }

    #[test]
    fn lookup_finds_equal_ids_and_nothing_else() {
        let known = ids(&[
            Some("C000000-I0001"),
            Some("b"),
            None,
            Some("long id of forty characters, not inline"),
        ]);
        let index = IdIndex::new(&known);
        let probe = ids(&[
            Some("b"),
            Some("long id of forty characters, not inline"),
            None,
            Some("c"),
            Some("C000000-I0001"),
            Some("C000000-I000"),
            Some("b"),
        ]);
        assert_eq!(
            both(&index, &probe),
            vec![Some(1), Some(3), None, None, Some(0), None, Some(1)]
        );
    }

    #[test]
    fn lookup_gives_the_first_of_repeated_ids() {
        let index = IdIndex::new(&ids(&[Some("x"), Some("y"), Some("x")]));
        assert_eq!(both(&index, &ids(&[Some("x")])), vec![Some(0)]);
    }

    #[test]
    fn lookup_works_across_chunks_and_slices() {
        // Many ids spread over the whole hash space and every slice; the
        // probe comes in two chunks and in reverse order.
        let known: Vec<String> = (0..5000).map(|i| format!("INV-{i:06}")).collect();
        let index = IdIndex::new(&StringChunked::from_iter_values(
            "id".into(),
            known.iter().map(String::as_str),
        ));
        let mut probe = StringChunked::from_iter_values(
            "id".into(),
            (2500..5000).rev().map(|i| format!("INV-{i:06}")),
        );
        probe
            .append(&StringChunked::from_iter_values(
                "id".into(),
                (0..2500).rev().map(|i| format!("INV-{:06}", i * 3)),
            ))
            .unwrap();
        let found = both(&index, &probe);
        let expected: Vec<Option<IdxSize>> = (2500..5000)
            .rev()
            .map(Some)
            .chain((0..2500).rev().map(|i| (i * 3 < 5000).then_some(i * 3)))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn an_index_in_one_chunk_gives_the_same_answers() {
        // Known ids in three chunks (ascending, then shuffled by the
        // probe); in one chunk, before or after a first lookup, every answer
        // is the same, and the ids are the same values in one chunk.
        let mut known =
            StringChunked::from_iter_values("id".into(), (0..1000).map(|i| format!("INV-{i:06}")));
        for part in [1000..2000, 2000..3000] {
            known
                .append(&StringChunked::from_iter_values(
                    "id".into(),
                    part.map(|i| format!("INV-{i:06}")),
                ))
                .unwrap();
        }
        let probe = StringChunked::from_iter_values(
            "id".into(),
            (0..1600).map(|i| format!("INV-{:06}", (i * 7) % 3200)),
        );
        let sorted_probe = StringChunked::from_iter_values(
            "id".into(),
            (0..1600).map(|i| format!("INV-{:06}", i * 2)),
        );
        let as_given = IdIndex::new(&known);
        let want = (both(&as_given, &probe), both(&as_given, &sorted_probe));
        assert!(want.0.contains(&None) && want.0.contains(&Some(2996)));
        let fresh = IdIndex::new(&known).in_one_chunk();
        let after_use = as_given.in_one_chunk();
        for index in [&fresh, &after_use] {
            assert_eq!(index.ids().chunks().len(), 1);
            assert!(index.ids().iter().eq(known.iter()));
            assert_eq!((both(index, &probe), both(index, &sorted_probe)), want);
        }
    }

    /// Hashes every id to the same value: every id collides with every other.
    #[derive(Clone, Copy)]
    struct Colliding;
    impl BuildHasher for Colliding {
        type Hasher = Colliding;
        fn build_hasher(&self) -> Colliding {
            Colliding
        }
    }
    impl std::hash::Hasher for Colliding {
        fn finish(&self) -> u64 {
            42
        }
        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn colliding_hashes_give_the_same_answers() {
        let known = ids(&[Some("a"), Some("b"), Some("a"), None, Some("c")]);
        let probe = ids(&[Some("c"), Some("a"), Some("d"), None, Some("b")]);
        let rows = IdxCa::from_vec("row".into(), vec![1, 2, 3, 4, 5]);
        let fair = IdIndex::new(&known);
        let colliding = IdIndex::with_hasher(&known, Colliding);
        assert_eq!(
            both(&colliding, &probe),
            vec![Some(4), Some(0), None, None, Some(1)]
        );
        assert_eq!(both(&colliding, &probe), both(&fair, &probe));
        assert_eq!(colliding.duplicates(&rows), vec![(2, 1)]);
        assert_eq!(colliding.duplicates(&rows), fair.duplicates(&rows));
    }

    #[test]
    fn duplicates_point_at_the_first_row() {
        let index = IdIndex::new(&ids(&[
            Some("a"),
            Some("b"),
            Some("a"),
            None,
            Some("a"),
            None,
        ]));
        let rows = IdxCa::from_vec("row".into(), vec![10, 11, 12, 13, 14, 15]);
        assert_eq!(index.duplicates(&rows), vec![(2, 10), (4, 10)]);
    }

    #[test]
    fn ascending_ids_are_matched_without_hashing() {
        let known = ids(&[Some("a"), Some("b"), Some("b"), Some("c"), Some("d")]);
        let probe = ids(&[
            Some("a"),
            Some("b"),
            Some("b"),
            Some("bb"),
            Some("c"),
            Some("e"),
        ]);
        let index = IdIndex::new(&known);
        assert!(index.ascending());
        assert_eq!(
            looked_up(&index, &probe),
            vec![Some(0), Some(1), Some(1), None, Some(3), None]
        );
        let rows = IdxCa::from_vec("row".into(), vec![10, 11, 12, 13, 14]);
        assert_eq!(index.duplicates(&rows), vec![(2, 11)]);
        // Neither answer needed a hash.
        assert!(index.hashed.get().is_none());
        let hashed = IdIndex::new(&known).hashed_only();
        assert_eq!(looked_up(&hashed, &probe), looked_up(&index, &probe));
        assert_eq!(hashed.duplicates(&rows), index.duplicates(&rows));
        // A probe out of order, or a null among the ids, is hashed instead.
        let unsorted = ids(&[Some("c"), Some("a")]);
        assert_eq!(both(&index, &unsorted), vec![Some(3), Some(0)]);
        assert!(!IdIndex::new(&ids(&[Some("a"), None, Some("b")])).ascending());
    }

    proptest::proptest! {
        /// Sorted or not, with or without repeats, every way agrees with a
        /// plain scan: the first equal id, the first earlier duplicate.
        #[test]
        fn every_way_agrees_with_a_scan(
            mut known in proptest::collection::vec("[ab]{0,3}", 0..40),
            mut probe in proptest::collection::vec("[abc]{0,3}", 0..40),
            sort_known: bool,
            sort_probe: bool,
        ) {
            if sort_known { known.sort(); }
            if sort_probe { probe.sort(); }
            let column = |v: &[String]| {
                StringChunked::from_iter_values("id".into(), v.iter().map(String::as_str))
            };
            let scan: Vec<Option<IdxSize>> = probe
                .iter()
                .map(|p| known.iter().position(|k| k == p).map(|i| i as IdxSize))
                .collect();
            let rows = IdxCa::from_vec("row".into(), (0..known.len() as IdxSize).collect());
            let first: Vec<(IdxSize, IdxSize)> = known
                .iter()
                .enumerate()
                .filter_map(|(at, k)| {
                    let earlier = known[..at].iter().position(|e| e == k)?;
                    Some((at as IdxSize, earlier as IdxSize))
                })
                .collect();
            for index in [
                IdIndex::new(&column(&known)),
                IdIndex::new(&column(&known)).hashed_only(),
            ] {
                proptest::prop_assert_eq!(&both(&index, &column(&probe)), &scan);
                proptest::prop_assert_eq!(&index.duplicates(&rows), &first);
            }
        }
    }

    proptest::proptest! {
        /// Ids compared through their views order and match as their
        /// `str`s do: short and long ids (the views hold 12 bytes whole),
        /// shared first 4 bytes, zero bytes (the views' padding), and ids
        /// that start others.
        #[test]
        fn ids_compared_by_view_agree_with_their_strs(
            ids in proptest::collection::vec("(C000|C00\\x00|ab)?[\\x00ab]{0,30}", 1..30),
        ) {
            let column = StringChunked::from_iter_values("id".into(), ids.iter().map(String::as_str));
            let texts = column.downcast_as_array();
            for i in 0..ids.len() {
                for j in 0..ids.len() {
                    proptest::prop_assert_eq!(cmp_ids(texts, i, texts, j), ids[i].cmp(&ids[j]));
                }
            }
        }
    }

    /// A column of `parts`, one chunk each.
    fn chunked(parts: &[&[&str]]) -> StringChunked {
        let mut out = StringChunked::from_iter_values("id".into(), parts[0].iter().copied());
        for part in &parts[1..] {
            out.append(&StringChunked::from_iter_values(
                "id".into(),
                part.iter().copied(),
            ))
            .unwrap();
        }
        out
    }

    #[test]
    fn ascending_ids_in_chunks_are_matched_in_place() {
        // A repeat across a chunk boundary.
        let known = chunked(&[&["a", "b"], &["b", "c"], &["d"]]);
        assert_eq!(known.chunks().len(), 3);
        let index = IdIndex::new(&known);
        assert!(index.ascending());
        let rows = IdxCa::from_vec("row".into(), vec![10, 11, 12, 13, 14]);
        assert_eq!(index.duplicates(&rows), vec![(2, 11)]);
        // Checked for duplicates without a copy in one chunk.
        assert!(index.one_chunk.get().is_none());
        let probe = chunked(&[&["a", "b"], &["bb", "c"], &["c", "e"]]);
        assert_eq!(
            both(&index, &probe),
            vec![Some(0), Some(1), None, Some(3), Some(3), None]
        );
        // A descent only where two chunks meet is still a descent.
        assert!(!never_descending(&chunked(&[&["a", "c"], &["b", "d"]])));
        let unsorted = IdIndex::new(&chunked(&[&["a", "c"], &["b", "c"]]));
        assert!(!unsorted.ascending());
        assert_eq!(unsorted.duplicates(&rows), vec![(3, 11)]);
    }
}
