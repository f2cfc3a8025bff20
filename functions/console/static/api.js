// The JSON API, as the console calls it: one fetch wrapper, errors as ApiError (status, message, field).

const FINAL = new Set(["completed", "partial", "failed"]);

export class ApiError extends Error {
  constructor(status, message, field = null) {
    super(message);
    this.status = status;
    this.field = field;
  }
}

export async function api(method, path, body = undefined) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api${path}`, init);
  } catch (err) {
    throw new ApiError(0, `The app could not be reached (${err.message}).`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      if (response.ok) throw new ApiError(response.status, "The app answered with something that is not JSON.");
    }
  }
  if (!response.ok) {
    const error = data && data.error ? data.error : null;
    const detail = data && typeof data.detail === "string" ? data.detail : null;
    const message = (error && error.message) || detail || `${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message, error ? error.field || null : null);
  }
  return data;
}

export const get = (path) => api("GET", path);
export const post = (path, body = {}) => api("POST", path, body);
export const put = (path, body) => api("PUT", path, body);
export const del = (path) => api("DELETE", path);

export function isFinal(run) {
  return FINAL.has(run.status);
}

// Start a run and follow it until it ends; `progress(run)` sees each state on the way.
export async function runAndWait(body, progress = () => {}) {
  const started = await post("/runs", body);
  return waitForRun(started.runId, progress);
}

export async function waitForRun(runId, progress = () => {}, { intervalMs = 700, timeoutMs = 300000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await get(`/runs/${encodeURIComponent(runId)}`);
    progress(run);
    if (isFinal(run)) return run;
    if (Date.now() > deadline) throw new ApiError(0, `Run ${runId} is still ${run.status}; see Runs for its progress.`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// Every page of GET /runs up to `limit` runs, newest first.
export async function recentRuns(limit = 100) {
  const page = await get(`/runs?limit=${Math.min(limit, 100)}`);
  return page.runs;
}
