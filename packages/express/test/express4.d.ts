// Express 4, installed as the `express4` alias so both majors run the fixture; same public types.
declare module 'express4' {
  import express from 'express';
  export default express;
}
