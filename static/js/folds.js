// The room's folds by event type: the browser's side of the event catalogue
// (forum/log/events.py). Each module registers, where its state lives, what an event
// type does to it — `folds.on("message.posted", fn)` — and room.js applies an event by
// running every fold registered for its type, in the order they were registered. A
// type the page shows nothing of is declared so (`folds.unshown`); any other type
// without a fold is said on the console, not dropped in silence.
//
// tests/test_client_folds.py reads these registrations (a string literal, one type a
// call) and holds them to the catalogue: every type a reader can receive is folded or
// declared unshown here, and no fold names a type the catalogue lacks.

export function createFolds() {
  const byType = new Map(); // type -> [fold(event, live)]
  const unshown = new Set();
  const warned = new Set();

  return {
    /** Register `fold(event, live)` for events of `type` (after those registered before). */
    on(type, fold) {
      if (!byType.has(type)) byType.set(type, []);
      byType.get(type).push(fold);
    },

    /** Declare types the page shows nothing of: received, folded by nobody, on purpose. */
    unshown(...types) {
      for (const type of types) unshown.add(type);
    },

    /** Run every fold of the event's type; false if it has none. */
    apply(event, live) {
      const folds = byType.get(event.type);
      if (!folds) {
        if (!unshown.has(event.type) && !warned.has(event.type)) {
          warned.add(event.type);
          console.warn("no fold for event type", event.type);
        }
        return false;
      }
      for (const fold of folds) fold(event, live);
      return true;
    },
  };
}
