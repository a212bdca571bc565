// The report page's step-through: buttons and arrow keys move through the run; each step
// shows what it did, the state diff it caused, the view's notes (a GC's marks and sweeps),
// and the whole state after it; the step's box in the swimlane and its row are highlighted.
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const steps = data.steps;
  const states = [data.initial];
  for (const step of steps) {
    const next = structuredClone(states[states.length - 1]);
    for (const [section, key, , after] of step.changes) {
      next[section] = next[section] || {};
      if (after === null) delete next[section][key]; else next[section][key] = after;
    }
    states.push(next);
  }
  let current = 0;

  function element(tag, text, className) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (className) e.className = className;
    return e;
  }

  function table(head, rows) {
    const t = element("table");
    const tr = element("tr");
    for (const h of head) tr.appendChild(element("th", h));
    t.appendChild(tr);
    for (const row of rows) t.appendChild(row);
    return t;
  }

  function diffTable(changes) {
    if (!changes.length) return element("p", "No change of state.", "note");
    return table(["", "", "before", "after"], changes.map(([section, key, before, after]) => {
      const tr = element("tr");
      tr.appendChild(element("td", section));
      tr.appendChild(element("td", key));
      tr.appendChild(element("td", before === null ? "(none)" : before, after === null ? "removed" : ""));
      tr.appendChild(element("td", after === null ? "(removed)" : after, before === null ? "added" : ""));
      return tr;
    }));
  }

  function stateTable(state) {
    const rows = [];
    for (const section of Object.keys(state).sort()) {
      for (const key of Object.keys(state[section]).sort()) {
        const tr = element("tr");
        tr.appendChild(element("td", section));
        tr.appendChild(element("td", key));
        tr.appendChild(element("td", state[section][key]));
        rows.push(tr);
      }
    }
    return table(["", "", "value"], rows);
  }

  function show(k, scroll = true) {
    current = Math.max(0, Math.min(steps.length - 1, k));
    const step = steps[current];
    document.getElementById("counter").textContent = `step ${step.index} (${current + 1} of ${steps.length})`;
    const card = document.getElementById("card");
    card.replaceChildren();
    card.dataset.step = String(step.index);
    card.appendChild(element("p", `Step ${step.index}, ${step.actor}: ${step.narration}`, "narration"));
    if (step.mark) card.appendChild(element("p", `On the time line: ${step.mark}`, "mark"));
    if (step.error) card.appendChild(element("p", `Error: ${step.error}`, "error"));
    if (data.violation && data.violation.step === step.index) {
      card.appendChild(element("p", `Property ${data.violation.property} violated: ${data.violation.message}`,
                               "violation"));
    }
    if (step.notes.length) {
      const ul = element("ul", null, "notes");
      for (const note of step.notes) ul.appendChild(element("li", note));
      card.appendChild(ul);
    }
    card.appendChild(element("h3", "What this step changed"));
    card.appendChild(diffTable(step.changes));
    const details = element("details");
    details.appendChild(element("summary", "The whole state after this step"));
    details.appendChild(stateTable(states[current + 1]));
    card.appendChild(details);
    for (const e of document.querySelectorAll(".current")) e.classList.remove("current");
    const box = document.getElementById(`step-${step.index}`);
    if (box) { box.classList.add("current"); if (scroll) box.scrollIntoView({block: "nearest", inline: "center"}); }
    const row = document.getElementById(`row-${step.index}`);
    if (row) { row.classList.add("current"); if (scroll) row.scrollIntoView({block: "nearest"}); }
  }

  const moves = {first: () => 0, previous: () => current - 1, next: () => current + 1, last: () => steps.length - 1};
  for (const [name, to] of Object.entries(moves)) {
    document.getElementById(name).addEventListener("click", () => show(to()));
  }
  for (const row of document.querySelectorAll(".steps li")) {
    row.addEventListener("click", () => show(Number(row.dataset.step)));
  }
  document.addEventListener("keydown", (event) => {
    const keys = {ArrowRight: "next", ArrowLeft: "previous", Home: "first", End: "last"};
    if (keys[event.key] && steps.length) { event.preventDefault(); show(moves[keys[event.key]]()); }
  });
  if (steps.length) show(0, false);
})();
