// pngjs ships no type declarations (and @types/pngjs is not a dependency);
// this declares the synchronous API that the data layer and its tests use.
declare module "pngjs" {
  /** PNG colour types: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  export type PNGColorType = 0 | 2 | 3 | 4 | 6;

  export interface PNGDecoded {
    width: number;
    height: number;
    /** Always 8-bit RGBA after decoding (16-bit images are rescaled, palettes expanded). */
    data: Buffer;
    colorType: PNGColorType;
    depth: number;
    alpha: boolean;
    color: boolean;
    palette: boolean;
  }

  export interface PNGWriteOptions {
    colorType?: 0 | 2 | 4 | 6;
    inputColorType?: 0 | 2 | 4 | 6;
    inputHasAlpha?: boolean;
    bitDepth?: 8 | 16;
  }

  export const PNG: {
    sync: {
      read(buffer: Uint8Array): PNGDecoded;
      write(png: { width: number; height: number; data: Uint8Array }, options?: PNGWriteOptions): Buffer;
    };
  };
}
