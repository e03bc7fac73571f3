package site

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
)

// meta is what the pages show of a post beyond its place in the site: its
// title, cover, link and author.
type meta struct {
	title, cover, link, author string
}

// spill keeps the meta of every post of a build in a temporary file in the
// output folder, so that memory does not grow with these strings: they
// were about 300 bytes a post, more than half of what the builder held per
// post, and made a 40,000-post site need twice the memory of a 10,000-post
// one (the GC's headroom doubles what is live). A page reads back the
// records of the posts it shows with ReadAt, from the operating system's
// file cache: a few microseconds for a page's worth (metas), far less than
// a query and a JSON decode per post from the store the caller read the
// posts from. Mapping the file into memory would save the system calls,
// but every page of it touched would count in the process's memory again.
// The file is unlinked as
// soon as it is made where the system allows it, so a build that is
// killed leaves nothing behind.
//
// A post's record is its meta, the four strings each as a uvarint length
// and the bytes, then its body as is when the caller gave one: a card
// reads the meta alone.
type spill struct {
	f       *os.File
	w       *bufio.Writer
	size    int64 // bytes appended so far
	removed bool  // f's name is already gone (unlinked at creation)

	errMu sync.Mutex
	err   error // the first write or read error; fails the build
}

// newSpill makes the file in dir, which must exist.
func newSpill(dir string) (*spill, error) {
	// Named as output.Writer's temp files are, so that the sweep after an
	// unfinished build removes it where it could not be unlinked.
	f, err := os.CreateTemp(dir, ".feedpost-posts.tmp-*")
	if err != nil {
		return nil, fmt.Errorf("site: create the posts' temporary file: %w", err)
	}
	// Unix lets an open file be unlinked; Windows does not, and there the
	// file is removed by close.
	removed := os.Remove(f.Name()) == nil
	return &spill{f: f, w: bufio.NewWriterSize(f, 64<<10), removed: removed}, nil
}

// add appends a post's record and returns where it starts, the length of
// its meta and of its body. It is not safe for concurrent use (builder.add
// holds a lock).
func (s *spill) add(m meta, body string) (off int64, metaLen, bodyLen uint32) {
	off = s.size
	var lenBuf [binary.MaxVarintLen64]byte
	for _, f := range [...]string{m.title, m.cover, m.link, m.author} {
		k := binary.PutUvarint(lenBuf[:], uint64(len(f)))
		s.w.Write(lenBuf[:k]) // a write error sticks in s.w; finish reports it
		s.w.WriteString(f)
		s.size += int64(k + len(f))
	}
	metaLen = uint32(s.size - off)
	s.w.WriteString(body)
	s.size += int64(len(body))
	return off, metaLen, uint32(len(body))
}

// finish flushes what add buffered, before the first read.
func (s *spill) finish() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("site: write the posts' temporary file: %w", err)
	}
	s.w = nil
	return nil
}

// maxGap and maxSpan decide which records metas reads with one ReadAt:
// records at most maxGap bytes apart (a record is a few hundred bytes; a
// body between two is longer), spanning at most maxSpan. A system call
// costs a microsecond or more on a virtual machine, against a fraction
// of that to copy a few KB.
const (
	maxGap  = 2 << 10
	maxSpan = 64 << 10
)

// metas returns the meta of each record at offs[i] of lens[i] bytes into
// out[i]. Safe for concurrent use. Records close together in the file are
// read with one ReadAt: the posts of a home page, a post and its
// neighbours, a run of the search index lie side by side when the posts
// were added newest first, as a store lists them. An error is kept (see
// failed) and empty metas given, so that a page can be finished and the
// build then fails.
func (s *spill) metas(offs []int64, lens []uint32, out []meta) {
	order := make([]int, len(offs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return cmp.Compare(offs[x], offs[y]) })
	for i := 0; i < len(order); {
		lo := offs[order[i]]
		hi := lo + int64(lens[order[i]])
		j := i + 1
		for ; j < len(order); j++ {
			off, end := offs[order[j]], offs[order[j]]+int64(lens[order[j]])
			if off-hi > maxGap || max(hi, end)-lo > maxSpan {
				break
			}
			hi = max(hi, end)
		}
		buf, ok := s.read(lo, uint32(hi-lo))
		rec := string(buf) // one string for the span; the fields are slices of it
		for _, k := range order[i:j] {
			if !ok {
				out[k] = meta{}
				continue
			}
			at := offs[k] - lo
			out[k] = s.parse(buf[at:at+int64(lens[k])], rec[at:at+int64(lens[k])])
		}
		i = j
	}
}

// parse decodes one meta record, given as bytes and as the same bytes in
// a string that the fields are sliced from.
func (s *spill) parse(buf []byte, rec string) meta {
	var fields [4]string
	pos := 0
	for i := range fields {
		l, k := binary.Uvarint(buf[pos:])
		if k <= 0 || uint64(len(buf)-pos-k) < l {
			s.fail(errors.New("site: the posts' temporary file is corrupt"))
			return meta{}
		}
		pos += k
		fields[i] = rec[pos : pos+int(l)]
		pos += int(l)
	}
	return meta{title: fields[0], cover: fields[1], link: fields[2], author: fields[3]}
}

// body returns the body of n bytes at off, like metas.
func (s *spill) body(off int64, n uint32) string {
	if n == 0 {
		return ""
	}
	buf, _ := s.read(off, n)
	return string(buf)
}

// read returns the n bytes at off.
func (s *spill) read(off int64, n uint32) ([]byte, bool) {
	buf := make([]byte, n)
	if _, err := s.f.ReadAt(buf, off); err != nil {
		s.fail(fmt.Errorf("site: read the posts' temporary file: %w", err))
		return nil, false
	}
	return buf, true
}

func (s *spill) fail(err error) {
	s.errMu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.errMu.Unlock()
}

// failed returns the first read error.
func (s *spill) failed() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.err
}

// close closes the file and removes it when it could not be unlinked at
// creation.
func (s *spill) close() {
	name := s.f.Name()
	_ = s.f.Close()
	if !s.removed {
		_ = os.Remove(name)
	}
}
