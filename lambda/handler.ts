/** Placeholder entry until the handler lands (issue 3). */
export const handler = async () => ({ statusCode: 501, body: JSON.stringify({ error: 'not implemented' }) });
