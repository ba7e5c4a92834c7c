package follow

import (
	"context"
	"sync"
)

// Item is one update's outcome in WaitAll: a Result, or the error that ended
// its wait.
type Item struct {
	UpdateID string
	Result   *Result
	Err      error
}

// WaitAll follows several updates at once (the Updates of a Batch* execute),
// over one shared websocket subscription, each bounded by opts.Cap. Items come
// back in the order of ids. OnProgress calls are serialized and carry the
// UpdateID. The error is ctx.Err() when ctx ended; the items then hold what
// was known.
func WaitAll(ctx context.Context, c Caller, ids []string, opts Options) ([]Item, error) {
	opts = opts.withDefaults()
	if opts.OnProgress != nil {
		var mu sync.Mutex
		inner := opts.OnProgress
		opts.OnProgress = func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			inner(p)
		}
	}
	var f *feed
	if !opts.DisableWebsocket && opts.Login != nil && len(ids) > 0 {
		f = startFeed(ctx, c.URL(), opts.Login, opts.WebsocketClient, opts.Logger)
		defer f.close()
	}
	items := make([]Item, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		items[i].UpdateID = id
		if err := checkID(id); err != nil {
			items[i].Err = err
			continue
		}
		wg.Go(func() {
			items[i].Result, items[i].Err = wait(ctx, c, id, opts, f)
		})
	}
	wg.Wait()
	return items, ctx.Err()
}
