package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// ---- the one active builder ----

// BuilderLock makes one process at a time the builder: the only one that
// writes outputs. On PostgreSQL it is a session advisory lock, held on a
// connection of its own, so that it is released the moment the holder's
// connection dies (a killed process); other builders are hot standbys that
// try again every few seconds. On SQLite the store is one process's
// already (the lock file), and the lock is always taken.
type BuilderLock struct {
	s    *Store
	mu   sync.Mutex
	conn *sql.Conn // PostgreSQL, while held
	held bool
}

// BuilderLock returns the store's builder lock (one per Store: every
// Runner of the process shares it). Close releases it.
func (s *Store) BuilderLock() *BuilderLock {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	if s.builder == nil {
		s.builder = &BuilderLock{s: s}
	}
	return s.builder
}

const builderLockKey = `hashtextextended('feedpost.builder.' || current_schema(), 0)`

// TryAcquire takes the lock when nobody holds it; held reports whether this
// process now holds it (also when it already did).
func (l *BuilderLock) TryAcquire(ctx context.Context) (held bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held {
		return true, nil
	}
	if !l.s.Shared() {
		l.held = true
		return true, nil
	}
	conn, err := l.s.w.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("builder lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+builderLockKey+`)`).Scan(&ok); err != nil {
		conn.Close()
		return false, fmt.Errorf("builder lock: %w", err)
	}
	if !ok {
		conn.Close()
		return false, nil
	}
	l.conn, l.held = conn, true
	return true, nil
}

// Held checks that the lock is still this process's: on PostgreSQL, that
// its connection still answers (a connection that died took the lock with
// it, and another builder may hold it now). A lost lock is dropped.
func (l *BuilderLock) Held(ctx context.Context) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held || l.conn == nil {
		return l.held
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := l.conn.PingContext(pctx); err != nil {
		l.conn.Close()
		l.conn, l.held = nil, false
	}
	return l.held
}

// Release gives the lock up.
func (l *BuilderLock) Release() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.held {
		return nil
	}
	l.held = false
	if l.conn == nil {
		return nil
	}
	_, err := l.conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(`+builderLockKey+`)`)
	err = errors.Join(err, l.conn.Close())
	l.conn = nil
	return err
}

// ---- what the builder built ----

// BuildState is what the active builder last built: the store generation
// its outputs show, and the fingerprint of the output settings (folders,
// formats, machine) they were written under. A builder whose settings give
// another fingerprint (a changed config, another machine) writes every
// output again.
type BuildState struct {
	Generation int64  `json:"generation"`
	Outputs    string `json:"outputs"`
}

const buildStateName = "build_state"

// BuildState returns the last recorded build state (zero when none).
func (s *Store) BuildState(ctx context.Context) (BuildState, error) {
	var st BuildState
	v, found, err := s.Value(ctx, buildStateName)
	if err != nil || !found {
		return st, err
	}
	if err := json.Unmarshal([]byte(v), &st); err != nil {
		return BuildState{}, fmt.Errorf("read the build state: %w", err)
	}
	return st, nil
}

// SetBuildState records a finished build.
func (s *Store) SetBuildState(ctx context.Context, st BuildState) error {
	b, _ := json.Marshal(st)
	return s.SetValue(ctx, buildStateName, string(b))
}

// HasPending reports whether any live item waits for its outputs.
func (s *Store) HasPending(ctx context.Context) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM pending LIMIT 1) AS p`).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look for pending items: %w", err)
	}
	return n > 0, nil
}

// ---- change notifications ----

// Changes returns a channel that receives (at most one queued value) when
// the generation moves: after a commit of this process on SQLite; after a
// commit of any process on PostgreSQL, through LISTEN on a connection of
// its own, opened on the first call and kept until ctx ends (reconnecting
// when it breaks). A builder waits on it instead of polling the store in a
// tight loop; it still polls now and then, since a notification can be
// lost with a broken connection.
func (s *Store) Changes(ctx context.Context) <-chan struct{} {
	s.changeMu.Lock()
	defer s.changeMu.Unlock()
	if s.changes == nil {
		s.changes = make(chan struct{}, 1)
		if s.Shared() {
			go s.listen(ctx)
		}
	}
	return s.changes
}

// signal queues a change notification for this process's builder.
func (s *Store) signal() {
	s.changeMu.Lock()
	ch := s.changes
	s.changeMu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- struct{}{}:
	default:
	}
}

// listen forwards the store's PostgreSQL notifications to s.changes.
func (s *Store) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		_ = err // the connection broke: wait a little and listen again
		s.signal()
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		if _, err := pc.Exec(ctx, `LISTEN "`+s.Channel()+`"`); err != nil {
			return err
		}
		defer pc.Exec(context.Background(), `UNLISTEN *`)
		for {
			if _, err := pc.WaitForNotification(ctx); err != nil {
				return err
			}
			s.signal()
		}
	})
}
