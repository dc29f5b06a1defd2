// Package herald is Herald's Go client: an Emitter for producers and a Client for readers
// (queries and live subscriptions that resume by themselves). Standard library only.
//
// Publishing never blocks and never panics the producer's loop:
//
//	h, err := herald.NewEmitter(herald.EmitterOptions{BaseURL: "http://127.0.0.1:7373", Run: "nightly-42", Agent: "planner"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer h.Close(context.Background()) // delivers what is held, up to ShutdownTimeout
//	plan := h.Decision(herald.Decision{DecisionType: "plan", NewValue: []string{"fetch", "summarise"}})
//	h.TaskStarted(herald.TaskStarted{TaskID: "t1", Title: "Fetch sources"}, herald.CausedBy(plan))
//	h.Emit("my.custom.event", map[string]interface{}{"anything": []int{1, 2, 3}})
//	h.RunCompleted(herald.RunCompleted{})
//
// Reading a run live, resuming after any disconnect, until it ends:
//
//	client, _ := herald.NewClient(herald.ClientOptions{BaseURL: "http://127.0.0.1:7373"})
//	sub, _ := client.Subscribe(ctx, herald.SubscribeOptions{Run: "nightly-42"})
//	defer sub.Close()
//	for {
//		item, err := sub.Next()
//		if err == io.EOF {
//			break
//		}
//		...
//	}
//
// The contract both keep, and how it is tested: docs/go.md and docs/clients.md.
package herald
