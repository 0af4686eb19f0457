/** The pages' requests to the console: JSON both ways, the error's message (with its status) thrown. */
export async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: the text is the message
    }
    throw new Error(`${res.status} ${message}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}
