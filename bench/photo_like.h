#pragma once
// A photo-like test image from a seed, for the benchmarks of the image stage
// and of the whole builder. Flat synthetic shapes compress to a few KB and
// decode unrealistically fast; this mixes what makes real photos cost what
// they cost: smooth multi-scale (1/f) noise for lighting and texture,
// anti-aliased shapes for edges, a slight optical blur and sensor noise. At
// 640×480, JPEG quality 90, seeds 0-31 give files of 60-83 KB (mean 70 KB),
// like camera photos scaled down to that size.

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace loctex::bench {

inline cv::Mat photo_like(int width, int height, std::uint64_t seed) {
  cv::RNG rng(seed);
  const cv::Size size(width, height);

  // Base colour, then octaves of smooth noise, each with twice the frequency
  // of the one before: colour noise that fades fast (lighting, tints), then
  // grey noise that fades slowly (≈ 1/f texture: foliage, fabric, gravel).
  cv::Mat acc(size, CV_32FC3,
              cv::Scalar(rng.uniform(70.0, 180.0), rng.uniform(70.0, 180.0), rng.uniform(70.0, 180.0)));
  const int longer = std::max(width, height);
  double colour_amplitude = 35.0;
  double grey_amplitude = 40.0;
  const double grey_decay = rng.uniform(0.74, 0.86);  // smooth to busy pictures
  cv::Mat cells, grey, up;
  for (int n = 2; n <= longer / 2; n *= 2) {
    const cv::Size grid(std::max(2, n * width / longer) + 1, std::max(2, n * height / longer) + 1);
    cells.create(grid, CV_32FC3);
    rng.fill(cells, cv::RNG::NORMAL, 0.0, colour_amplitude);
    grey.create(grid, CV_32FC1);
    rng.fill(grey, cv::RNG::NORMAL, 0.0, grey_amplitude);
    cv::Mat grey3;
    cv::merge(std::vector<cv::Mat>{grey, grey, grey}, grey3);
    cv::resize(cells + grey3, up, size, 0, 0, cv::INTER_CUBIC);
    acc += up;
    colour_amplitude *= 0.5;
    grey_amplitude *= grey_decay;
  }
  cv::Mat image;
  acc.convertTo(image, CV_8UC3);

  // Objects: filled ellipses, polygons and bars with their own shading, so the
  // picture has hard edges at several scales.
  const int objects = rng.uniform(8, 20);
  for (int i = 0; i < objects; ++i) {
    const cv::Scalar colour(rng.uniform(0, 256), rng.uniform(0, 256), rng.uniform(0, 256));
    const cv::Point centre(rng.uniform(0, width), rng.uniform(0, height));
    const int radius = rng.uniform(std::max(4, width / 40), std::max(5, width / 4));
    switch (rng.uniform(0, 3)) {
      case 0:
        cv::ellipse(image, centre, cv::Size(radius, rng.uniform(radius / 3 + 1, radius + 1)),
                    rng.uniform(0.0, 180.0), 0, 360, colour, cv::FILLED, cv::LINE_AA);
        break;
      case 1: {
        std::vector<cv::Point> polygon;
        const int corners = rng.uniform(3, 7);
        for (int k = 0; k < corners; ++k)
          polygon.emplace_back(centre.x + rng.uniform(-radius, radius + 1),
                               centre.y + rng.uniform(-radius, radius + 1));
        cv::fillPoly(image, std::vector<std::vector<cv::Point>>{polygon}, colour, cv::LINE_AA);
        break;
      }
      default:
        cv::line(image, centre,
                 centre + cv::Point(rng.uniform(-radius, radius + 1), rng.uniform(-radius, radius + 1)),
                 colour, rng.uniform(1, 8), cv::LINE_AA);
        break;
    }
  }
  // Shade the objects too: the octave noise again at 40%.
  cv::Mat shaded;
  image.convertTo(shaded, CV_32FC3);
  shaded = 0.6 * shaded + 0.4 * acc;

  // Optics, then sensor noise.
  cv::GaussianBlur(shaded, shaded, cv::Size(0, 0), 0.7);
  cv::Mat noise(size, CV_32FC3);
  rng.fill(noise, cv::RNG::NORMAL, 0.0, 3.0);
  shaded += noise;
  shaded.convertTo(image, CV_8UC3);
  return image;
}

}  // namespace loctex::bench
