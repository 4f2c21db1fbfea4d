/** A request for something the store does not have: 404, with a one-line message. */
export class NotFoundError extends Error {
  override name = "NotFoundError";
}
