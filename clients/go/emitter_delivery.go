package herald

import (
	"math/rand"
	"sort"
	"time"
)

// deliverLoop is the emitter's one delivery goroutine: batches one after another, so events
// reach the server in emit order and each run's seq follows it.
func (c *emitterCore) deliverLoop() {
	defer close(c.deliveryDone)
	jitter := rand.New(rand.NewSource(time.Now().UnixNano()))
	var lines []byte
	for {
		select {
		case <-c.wake:
		case <-c.stop:
			return
		}
		c.mu.Lock()
		lingering := c.accepting && c.flushes == 0 && len(c.queue) < c.maxBatch && c.linger > 0
		c.mu.Unlock()
		if lingering {
			timer := time.NewTimer(c.linger)
			select {
			case <-c.full:
			case <-timer.C:
			case <-c.stop:
				timer.Stop()
				return
			}
			timer.Stop()
		}
		c.mu.Lock()
		count := len(c.queue)
		if count > c.maxBatch {
			count = c.maxBatch
		}
		batch := make([]pending, count)
		copy(batch, c.queue)
		c.queue = c.queue[count:]
		if len(c.queue) == 0 {
			c.queue = nil // let the backing array go
		}
		more := len(c.queue) > 0
		c.mu.Unlock()
		select { // a "full" signal for the batch just taken is stale
		case <-c.full:
		default:
		}
		if more {
			signal(c.wake)
		}
		if count == 0 {
			continue
		}
		lines = lines[:0]
		items := make([]outgoing, count)
		for i := range batch {
			start := len(lines)
			lines = appendLine(lines, &batch[i])
			items[i] = outgoing{event: &batch[i], line: lines[start:len(lines):len(lines)]}
		}
		delivered, failed := c.deliver(items, jitter)
		c.settle(count, delivered, failed)
	}
}

// outgoing is one event of a batch with its JSON line.
type outgoing struct {
	event *pending
	line  []byte
}

// settle counts a batch's outcome and wakes Flush and Close.
func (c *emitterCore) settle(count, delivered, failed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.abandoned {
		return // Close already counted these as failed
	}
	c.delivered += int64(delivered)
	c.failed += int64(failed)
	c.settled += int64(count)
	close(c.settledChanged)
	c.settledChanged = make(chan struct{})
}

// deliver sends one batch, retrying temporary failures with the same lines (the same ids);
// it answers how many events were delivered and how many failed for good.
func (c *emitterCore) deliver(items []outgoing, jitter *rand.Rand) (delivered, failed int) {
	attempt := 0
	for len(items) > 0 {
		answer := c.sink.post(c.deliveryContext, items)
		switch answer.outcome {
		case outcomeStored:
			c.logRefusals(items, answer.refused)
			return delivered + len(items) - len(answer.refused), failed + len(answer.refused)
		case outcomeRefused:
			// Nothing was stored: the named events are final, the others go again.
			c.logRefusals(items, answer.refused)
			failed += len(answer.refused)
			kept := items[:0:0]
			for index, item := range items {
				if _, refused := answer.refused[index]; !refused {
					kept = append(kept, item)
				}
			}
			items = kept
			attempt = 0
		case outcomeRefusedAll:
			c.log.errorf("%d event(s) refused, not retried: %v", len(items), answer.err)
			return delivered, failed + len(items)
		case outcomeTooLarge:
			if len(items) == 1 {
				c.log.errorf("event %s (%s) is too large to deliver: %v", items[0].event.id, items[0].event.eventType, answer.err)
				return delivered, failed + 1
			}
			half := len(items) / 2
			firstDelivered, firstFailed := c.deliver(items[:half], jitter)
			secondDelivered, secondFailed := c.deliver(items[half:], jitter)
			return delivered + firstDelivered + secondDelivered, failed + firstFailed + secondFailed
		case outcomeRetry:
			attempt++
			if attempt == 1 {
				c.log.warnf("delivery failed, retrying: %v", answer.err)
			}
			delay := backoff(attempt, 100*time.Millisecond, c.maxBackoff, jitter)
			if answer.retryAfter > delay {
				delay = answer.retryAfter
			}
			timer := time.NewTimer(delay)
			select {
			case <-timer.C:
			case <-c.stop:
				timer.Stop()
				return delivered, failed + len(items)
			}
		}
	}
	return delivered, failed
}

// refusalsLogged is how many refusals of one batch are logged one by one: a batch sent to a
// finished run is refused whole, and one line per event would flood the log.
const refusalsLogged = 5

func (c *emitterCore) logRefusals(items []outgoing, refused map[int]string) {
	indexes := make([]int, 0, len(refused))
	for index := range refused {
		indexes = append(indexes, index)
	}
	sort.Ints(indexes)
	for shown, index := range indexes {
		if shown == refusalsLogged {
			c.log.errorf("… and %d more event(s) of the batch refused", len(indexes)-shown)
			return
		}
		event := items[index].event
		c.log.errorf("event %s (%s, run %s) refused: %s", event.id, event.eventType, event.run, refused[index])
	}
}

// backoff is the pause before attempt n (1, 2, …): first doubling from first up to most, then
// jittered into its upper half, so many clients that failed together do not retry together.
func backoff(attempt int, first, most time.Duration, jitter *rand.Rand) time.Duration {
	delay := first
	for i := 1; i < attempt && delay < most; i++ {
		delay *= 2
	}
	if delay > most {
		delay = most
	}
	return delay/2 + time.Duration(jitter.Int63n(int64(delay/2)+1))
}
